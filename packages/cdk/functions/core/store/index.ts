export * from './types';
export * from './errors';
export * from './table';
export * from './codec';
export * from './connection-store';
export * from './lease-store';
export * from './pending-revocations';
export * from './state-store';
