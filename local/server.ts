/**
 * The local stack's public surface (`npm start`, the tests, the bench): re-exports only. The stack's lifecycle is
 * in ./stack, the router in ./http, the routes in ./routes, handler loading in ./functions and the handlers'
 * environment in ./environment.
 */
export { DEFAULT_PORT, DEFAULT_PREFIX, startLocalStack, type LocalStack, type LocalStackOptions } from './stack';
export { BodyTooLargeError, HOST, MAX_BODY_BYTES, type LocalRequest, type LocalRoute, type LogFn } from './http/router';
export { escapeHtml, sendHtml, sendJson } from './http/respond';
export { invokeRoute } from './routes/invoke';
