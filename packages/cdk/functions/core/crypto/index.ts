export * from './envelope';
export * from './data-key-cache';
export * from './token-sealer';
export * from './errors';
