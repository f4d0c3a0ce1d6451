export * from './envelope';
export * from './data-key-cache';
export * from './errors';
