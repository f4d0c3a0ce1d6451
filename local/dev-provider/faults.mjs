/**
 * Injected faults (POST /__control/faults): served to the next requests to the token or revocation endpoint
 * before they reach oidc-provider.
 */
import { ROUTES } from './config.mjs';
import { stats } from './stats.mjs';

const FAULT_MODES = new Set(['status', 'slow', 'hang', 'html', 'invalid_json', 'missing_fields', 'oversized']);
/** Size of the `oversized` fault's body: well past any client's limit for a token answer. */
const OVERSIZED_BODY_BYTES = 1024 * 1024;

const pendingFaults = { token: [], revocation: [] };
export const FAULT_PATHS = new Map([
  [ROUTES.token, 'token'],
  [ROUTES.revocation, 'revocation'],
]);

/** Takes the next fault for an endpoint, if any, and counts it down. */
export function takeFault(endpoint) {
  const queue = pendingFaults[endpoint];
  const fault = queue[0];
  if (!fault) return undefined;
  fault.count -= 1;
  if (fault.count <= 0) queue.shift();
  return fault;
}

/** Answers a request with a fault; returns false when the request should still reach oidc-provider (slow). */
export async function serveFault(ctx, fault) {
  stats.faultsServed += 1;
  if (fault.mode === 'slow') {
    await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
    return false;
  }
  if (fault.retryAfter !== undefined) ctx.set('Retry-After', fault.retryAfter);
  switch (fault.mode) {
    case 'hang':
      // Never answer; the socket stays open until the client gives up (or the server shuts down).
      ctx.respond = false;
      await new Promise((r) => ctx.res.once('close', r));
      return true;
    case 'status':
      ctx.status = fault.status ?? 503;
      ctx.body = fault.body ?? { error: 'temporarily_unavailable', error_description: 'injected fault' };
      return true;
    case 'html':
      ctx.status = fault.status ?? 200; // e.g. a captive portal or a proxy's page: looks like success, is not JSON
      ctx.type = 'html';
      ctx.body =
        '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Please try again later</h1></body></html>';
      return true;
    case 'invalid_json':
      ctx.status = fault.status ?? 200;
      ctx.type = 'json';
      ctx.body = '{"access_token":"trunc';
      return true;
    case 'missing_fields':
      ctx.status = fault.status ?? 200;
      ctx.body = fault.body ?? { token_type: 'Bearer' };
      return true;
    case 'oversized':
      // Looks like a token answer, but far too large: a client must stop reading instead of buffering it all.
      ctx.status = fault.status ?? 200;
      ctx.type = 'json';
      ctx.body = `{"token_type":"Bearer","padding":"${'x'.repeat(OVERSIZED_BODY_BYTES)}"}`;
      return true;
    default:
      return false;
  }
}

export function validateFault(f) {
  if (!f || !FAULT_PATHS.has(ROUTES[f.endpoint])) return 'endpoint must be token or revocation';
  if (!FAULT_MODES.has(f.mode)) return `mode must be one of ${[...FAULT_MODES].join(', ')}`;
  const count = f.count ?? 1;
  if (!Number.isInteger(count) || count < 1) return 'count must be a positive integer';
  if (f.status !== undefined && !(Number.isInteger(f.status) && f.status >= 100 && f.status <= 599))
    return 'status must be an HTTP status';
  if (f.delayMs !== undefined && !(Number.isInteger(f.delayMs) && f.delayMs >= 0))
    return 'delayMs must be a non-negative integer';
  if (f.retryAfter !== undefined && typeof f.retryAfter !== 'string') return 'retryAfter must be a string';
  return undefined;
}

/** Queues a fault checked with {@link validateFault}. */
export function addFault(f) {
  pendingFaults[f.endpoint].push({ ...f, count: f.count ?? 1 });
}

/** Drops the faults not served yet. */
export function clearFaults() {
  pendingFaults.token = [];
  pendingFaults.revocation = [];
}
