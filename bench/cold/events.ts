/**
 * What each function's cold container is asked: an event that exercises its usual first call against the bench
 * stack (one connected user, COLD_USER), the environment it needs beyond the construct's, and a description.
 */
import type { FunctionKey } from '@token-vault/cdk/src/definitions/functions';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';

/** The user connected before the measurement (token-fetch, refresh, status and the worker read it). */
export const COLD_USER = 'cold-start-user';

export const EVENTS: Record<FunctionKey, unknown> = {
  connect: { userId: 'cold-start-connect', applicationId: 'default' },
  callback: {
    version: '2.0',
    routeKey: 'GET /oauth/callback',
    rawPath: '/oauth/callback',
    rawQueryString: 'code=bench-code&state=bench-state-that-does-not-exist-000000000',
    headers: {},
    requestContext: {
      http: { method: 'GET', path: '/oauth/callback', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench',
    },
    isBase64Encoded: false,
  },
  tokenFetch: { userId: COLD_USER, applicationId: 'default' },
  refresh: { userId: COLD_USER, applicationId: 'default' },
  revoke: { userId: 'cold-start-nobody', reason: 'user_disconnected' },
  sweep: { sweep: true },
  refreshWorker: {
    Records: [{ messageId: 'cold-start-1', body: JSON.stringify({ v: 1, k: 'r', u: COLD_USER, a: 'default', d: 0 }) }],
  },
  status: { userId: COLD_USER },
  importConnection: {
    userId: COLD_USER,
    refreshToken: 'cold-start-not-a-token',
    validate: false,
    accessToken: 'cold-start-not-a-token',
    expiresAt: '2000-01-01T00:00:00Z',
  },
  complete: { flowHandle: 'cold-start-unknown-flow-handle-000000000000', userId: 'cold-start-nobody' },
  auditForwarder: {},
};

/**
 * Function environment added per function: refresh's first call refreshes the token connected (or refreshed)
 * seconds before, which the minimum interval between forced refreshes would answer from the stored token.
 */
export const EXTRA_ENV: Partial<Record<FunctionKey, Record<string, string>>> = {
  refresh: { [TUNABLES.forcedRefreshMinIntervalSeconds.env]: '0' },
  auditForwarder: { TOKEN_VAULT_AUDIT_LOG_GROUP: 'bench-audit' },
};

/** What the first invocation exercises, per function (for the notes). */
export const FIRST_CALL: Record<FunctionKey, string> = {
  connect: 'writes a state',
  callback: 'unknown state: one DynamoDB call, error page',
  tokenFetch: 'GetItem + KMS Decrypt',
  refresh: 'on-demand refresh of a connected user',
  revoke: 'user without connections: one Query',
  sweep: 'queue depth, 8 index Queries, gauges',
  refreshWorker: 'one record of a connection not due: one read',
  status: 'one projected Query',
  importConnection: 'active connection: refused after one GetItem',
  complete: 'unknown flow handle: one DynamoDB call',
  auditForwarder: 'no delivery: nothing to forward',
};

/** Functions nobody waits for (schedule, queue, log subscription): their default memory is the cheapest size. */
export const BACKGROUND: ReadonlySet<FunctionKey> = new Set<FunctionKey>(['sweep', 'refreshWorker', 'auditForwarder']);
