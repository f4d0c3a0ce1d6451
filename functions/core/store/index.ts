export * from './types';
export * from './errors';
export * from './connection-store';
export * from './state-store';
