export * from './env';
export * from './tables';
export * from './functions';
export * from './metrics';
export * from './applications';
export * from './encryption';
export * from './events';
