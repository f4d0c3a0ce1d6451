export * from './types';
export * from './errors';
export * from './client';
export * from './pkce';
export * from './retry-after';
