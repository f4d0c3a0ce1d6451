export * from './error-codes';
export * from './requests';
export * from './answers';
