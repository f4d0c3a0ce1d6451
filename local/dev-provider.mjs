#!/usr/bin/env node
/**
 * Development OAuth 2.0 authorization server: panva/oidc-provider on loopback, for the tests and for the
 * offline mode of `npm start`. It runs as its own process because oidc-provider is ESM-only (the project is
 * CommonJS) and because a separate process makes it a real network peer.
 *
 * Configuration (environment):
 *   DEV_PROVIDER_PORT               port on 127.0.0.1; 0 (default) picks a free one. Issuer: http://127.0.0.1:<port>
 *   DEV_PROVIDER_CLIENTS            required JSON array of
 *                                   { client_id, client_secret, redirect_uris: string[],
 *                                     token_endpoint_auth_method?: 'client_secret_post' (default) | 'client_secret_basic' }
 *                                   Every client gets grant_types authorization_code + refresh_token, response_types code.
 *   DEV_PROVIDER_ACCESS_TOKEN_TTL   access token lifetime in seconds (default 3600)
 *   DEV_PROVIDER_REFRESH_TOKEN_TTL  refresh token lifetime in seconds (default 2592000 = 30 days); every rotation
 *                                   issues a token with the full lifetime again (sliding window)
 *   DEV_PROVIDER_EXTRA_SCOPES       optional space-separated scopes to accept besides
 *                                   openid offline_access profile email read write
 *   DEV_PROVIDER_EXIT_ON_STDIN_END  "1": exit when stdin ends, so the server dies with the process that spawned it
 *                                   even when that one is killed with SIGKILL (set by dev-provider-process.ts)
 *   DEV_PROVIDER_QUIRKS             optional JSON object of quirk switches (below); also settable at run time
 *
 * Behaviour: authorization code + PKCE (S256 only, always required), opaque access tokens, a refresh token on
 * every authorization_code grant, refresh-token rotation with reuse detection (a used refresh token answers
 * invalid_grant and revokes its whole grant), RFC 7009 revocation, RFC 7662 introspection, RFC 9207 `iss` in
 * every authorization response. No UI: `/interaction/:uid` approves at once, signing in the account named by the
 * request's `login_hint` (default `dev-user`) and granting the requested scopes; `login_hint=deny` refuses with
 * `access_denied`.
 *
 * Quirk switches make this peer behave like a specific real provider (all off by default; see `validateQuirks()`):
 *   tokenErrorStatus: N               token endpoint OAuth errors answered with HTTP N (GitHub, Slack: 200)
 *   errorCodes: { "grant:code": c }   token errors renamed, e.g. "refresh_token:invalid_grant": "bad_refresh_token"
 *                                     (a key without "grant:" applies to every grant type)
 *   tokenType: "bearer"|"DPoP"|...    token_type of every token answer (GitHub: bearer; Slack: bot)
 *   expiresIn: "string"|"absent"      expires_in as a numeric string (Azure AD v1) or left out (Salesforce)
 *   refreshTokenExpiresIn: { field, seconds? }
 *                                     adds refresh_token_expires_in (GitHub) or refresh_expires_in (Keycloak; 0 for
 *                                     offline tokens) to token answers; seconds default to the refresh token TTL
 *   rotateRefreshTokens: false        refresh tokens stay valid and refresh answers carry none (Google)
 *   refreshTokenRequiresOfflineAccess: true
 *                                     a refresh token only when authorized with access_type=offline (Google)
 *   refreshTokenOnFirstConsentOnly: true
 *                                     a refresh token only on an account's first authorization of the client, or
 *                                     one with prompt=consent (Google)
 *   reuseGraceSeconds: N              a rotated refresh token presented again within N s gets the same answer
 *                                     (the same successor) instead of revoking the grant (Okta, Auth0)
 *
 * Test control (loopback only, JSON):
 *   GET  /__control/stats          counters, see `emptyStats()`
 *   POST /__control/reset-stats    zeroes the counters
 *   POST /__control/faults         { endpoint: 'token'|'revocation', mode, status?, retryAfter?, delayMs?, body?, count }
 *                                  the next `count` requests to that endpoint get the fault (see `serveFault()`)
 *   POST /__control/clear-faults   drops pending faults
 *   POST /__control/revoke-grants  { accountId } -> { revoked: n }: withdraws every grant of that account
 *   GET  /__control/quirks         the quirk switches in force
 *   POST /__control/quirks         { ...quirks } replaces all of them ({} turns every quirk off)
 *
 * Output: exactly one line on stdout when ready, {"ready":true,"issuer":"...","port":N}. oidc-provider's own
 * notices go to stderr; nothing prints tokens, codes or secrets.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

// oidc-provider prints its notices with console.info (stdout), which would break the one-line stdout contract.
// Route every console channel to stderr before it is loaded (hence the dynamic import below).
console.log = console.info = console.debug = console.error;
// The `debug` package would log request errors with their details; this server is quiet whatever the parent's env.
delete process.env.DEBUG;
const { default: Provider, errors } = await import('oidc-provider');

const HOST = '127.0.0.1';
const ROUTES = {
  authorization: '/auth',
  token: '/token',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
};
const BASE_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'read', 'write'];
const DEFAULT_ACCOUNT = 'dev-user';
const FAULT_MODES = new Set(['status', 'slow', 'hang', 'html', 'invalid_json', 'missing_fields', 'oversized']);
/** Size of the `oversized` fault's body: well past any client's limit for a token answer. */
const OVERSIZED_BODY_BYTES = 1024 * 1024;
const ACCOUNT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

// ---------------------------------------------------------------------------------------------- configuration

function fail(message) {
  process.stderr.write(`dev-provider: ${message}\n`);
  process.exit(2);
}

function integerEnv(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) fail(`${name} must be an integer >= ${min}`);
  return value;
}

/** Reads DEV_PROVIDER_CLIENTS; error messages name the field, never echo a value (they hold secrets). */
function readClients() {
  let parsed;
  try {
    parsed = JSON.parse(process.env.DEV_PROVIDER_CLIENTS ?? '');
  } catch {
    fail('DEV_PROVIDER_CLIENTS must be a JSON array of clients');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) fail('DEV_PROVIDER_CLIENTS must be a non-empty JSON array');
  return parsed.map((c, i) => {
    const method = c?.token_endpoint_auth_method ?? 'client_secret_post';
    if (typeof c?.client_id !== 'string' || !c.client_id) fail(`client #${i}: client_id must be a string`);
    if (typeof c.client_secret !== 'string' || !c.client_secret) fail(`client #${i}: client_secret must be a string`);
    if (!Array.isArray(c.redirect_uris) || !c.redirect_uris.every((u) => typeof u === 'string')) {
      fail(`client #${i}: redirect_uris must be an array of strings`);
    }
    if (method !== 'client_secret_post' && method !== 'client_secret_basic') {
      fail(`client #${i}: token_endpoint_auth_method must be client_secret_post or client_secret_basic`);
    }
    return {
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      token_endpoint_auth_method: method,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    };
  });
}

const port = integerEnv('DEV_PROVIDER_PORT', 0, 0);
const clients = readClients();
const accessTokenTtl = integerEnv('DEV_PROVIDER_ACCESS_TOKEN_TTL', 3600, 1);
const refreshTokenTtl = integerEnv('DEV_PROVIDER_REFRESH_TOKEN_TTL', 30 * 24 * 60 * 60, 1);
const scopes = [
  ...new Set([...BASE_SCOPES, ...(process.env.DEV_PROVIDER_EXTRA_SCOPES ?? '').split(/\s+/).filter(Boolean)]),
];

// ---------------------------------------------------------------------------------------------- quirks

const TOKEN_TYPE = /^[A-Za-z0-9_-]{1,32}$/;
const ERROR_CODE = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/;

/** Checks a quirks object; returns a message naming the bad switch, or undefined. */
function validateQuirks(q) {
  if (q === null || typeof q !== 'object' || Array.isArray(q)) return 'quirks must be a JSON object';
  const known = new Set([
    'tokenErrorStatus',
    'errorCodes',
    'tokenType',
    'expiresIn',
    'refreshTokenExpiresIn',
    'rotateRefreshTokens',
    'refreshTokenRequiresOfflineAccess',
    'refreshTokenOnFirstConsentOnly',
    'reuseGraceSeconds',
  ]);
  const unknown = Object.keys(q).find((k) => !known.has(k));
  if (unknown !== undefined) return `unknown quirk ${unknown}; known: ${[...known].join(', ')}`;
  if (
    q.tokenErrorStatus !== undefined &&
    !(Number.isInteger(q.tokenErrorStatus) && q.tokenErrorStatus >= 100 && q.tokenErrorStatus <= 599)
  ) {
    return 'tokenErrorStatus must be an HTTP status';
  }
  if (q.errorCodes !== undefined) {
    if (q.errorCodes === null || typeof q.errorCodes !== 'object') return 'errorCodes must be an object';
    if (!Object.values(q.errorCodes).every((c) => typeof c === 'string' && ERROR_CODE.test(c)))
      return 'errorCodes values must be error codes';
  }
  if (q.tokenType !== undefined && !(typeof q.tokenType === 'string' && TOKEN_TYPE.test(q.tokenType)))
    return 'tokenType must be 1-32 characters of [A-Za-z0-9_-]';
  if (q.expiresIn !== undefined && !['number', 'string', 'absent'].includes(q.expiresIn))
    return 'expiresIn must be number, string or absent';
  if (q.refreshTokenExpiresIn !== undefined) {
    const r = q.refreshTokenExpiresIn;
    if (r === null || typeof r !== 'object' || !['refresh_token_expires_in', 'refresh_expires_in'].includes(r.field)) {
      return 'refreshTokenExpiresIn.field must be refresh_token_expires_in or refresh_expires_in';
    }
    if (r.seconds !== undefined && !(Number.isInteger(r.seconds) && r.seconds >= 0))
      return 'refreshTokenExpiresIn.seconds must be an integer >= 0';
  }
  for (const flag of ['rotateRefreshTokens', 'refreshTokenRequiresOfflineAccess', 'refreshTokenOnFirstConsentOnly']) {
    if (q[flag] !== undefined && typeof q[flag] !== 'boolean') return `${flag} must be a boolean`;
  }
  if (q.reuseGraceSeconds !== undefined && !(Number.isInteger(q.reuseGraceSeconds) && q.reuseGraceSeconds >= 0)) {
    return 'reuseGraceSeconds must be an integer >= 0';
  }
  return undefined;
}

function readQuirks() {
  const raw = process.env.DEV_PROVIDER_QUIRKS;
  if (raw === undefined || raw === '') return {};
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('DEV_PROVIDER_QUIRKS must be a JSON object');
  }
  const problem = validateQuirks(parsed);
  if (problem) fail(`DEV_PROVIDER_QUIRKS: ${problem}`);
  return parsed;
}

let quirks = readQuirks();

// ---------------------------------------------------------------------------------------------- storage

/**
 * In-memory adapter. oidc-provider's bundled one is an LRU of ~1000 entries, so a long `npm start` session or a
 * benchmark would silently evict live refresh tokens; this one keeps everything until it expires, and can list
 * the grants of an account (for /__control/revoke-grants).
 */
const store = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const grantMembers = new Map(); // grantId -> Set of store keys
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

function live(key) {
  const entry = store.get(key);
  if (entry && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry?.payload;
}

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(key, { payload, expiresAt });
    if (this.model === 'Session') store.set(`sessionUid:${payload.uid}`, { payload: id, expiresAt });
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, { payload: id, expiresAt });
    if (GRANTABLE.has(this.model) && payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const id = live(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = live(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) store.delete(key);
    grantMembers.delete(grantId);
  }
}

/** Ids of the live grants of one account. */
function grantIdsOf(accountId) {
  const ids = [];
  for (const key of store.keys()) {
    if (!key.startsWith('Grant:')) continue;
    const grant = live(key);
    if (grant?.accountId === accountId) ids.push(key.slice('Grant:'.length));
  }
  return ids;
}

// Sweep expired entries now and then so a long-running dev server does not grow without bound.
setInterval(() => {
  for (const key of store.keys()) live(key);
  for (const [grantId, keys] of grantMembers) {
    for (const key of keys) if (!store.has(key)) keys.delete(key);
    if (keys.size === 0) grantMembers.delete(grantId);
  }
}, 60_000).unref();

// ---------------------------------------------------------------------------------------------- statistics

function emptyStats() {
  return {
    authorizationCodeGrants: 0, // successful authorization_code grants
    refreshGrants: 0, // successful refresh_token grants
    refreshFailures: 0, // refresh_token grants answered with an OAuth error
    reuseDetected: 0, // rotated (already used) refresh tokens presented again; each revoked its grant
    revocations: 0, // revocation requests oidc-provider answered 200 (RFC 7009: also for unknown tokens)
    tokenRequests: 0, // every HTTP request received at the token endpoint, faulted ones included
    introspections: 0, // introspection requests oidc-provider answered 200
    revocationRequests: 0, // every HTTP request received at the revocation endpoint, faulted ones included
    grantsRevoked: 0, // grants destroyed: reuse detection, revoking a refresh token, /__control/revoke-grants
    faultsServed: 0, // requests answered (or delayed) by an injected fault
    reuseGraceServed: 0, // rotated refresh tokens presented again within the reuseGraceSeconds quirk's window
  };
}
let stats = emptyStats();

// ---------------------------------------------------------------------------------------------- provider

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, HOST, resolve);
});
const actualPort = server.address().port;
const issuer = `http://${HOST}:${actualPort}`;

const provider = new Provider(issuer, {
  adapter: (model) => new MapAdapter(model),
  clients,
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  },
  // Signed cookies; a fresh key per process is enough for a dev server.
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // Own key instead of the library's shared quick-start one; only signs ID tokens (requests with `openid`).
  // P-256 because generating it is instant, where an RSA key costs a few hundred ms at every start.
  jwks: {
    keys: [
      {
        ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
        use: 'sig',
        alg: 'ES256',
      },
    ],
  },
  routes: ROUTES,
  scopes,
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  pkce: { required: () => true }, // oidc-provider 9 only implements S256, so `plain` is refused
  features: {
    devInteractions: { enabled: false }, // replaced by the auto-approve below
    revocation: { enabled: true, allowedPolicy: revocationAllowed },
    introspection: { enabled: true, allowedPolicy: async () => true }, // any authenticated client may introspect
    // Off so that tokens carry the scopes the client asked for, without resource indicators (the vault sends none).
    resourceIndicators: { enabled: false },
  },
  // Kept in the interaction details, for the Google-like refresh token quirks.
  extraParams: ['access_type'],
  // Pure OAuth 2.0: a refresh token for every code grant, not only with offline_access + prompt=consent, unless
  // a quirk says otherwise.
  issueRefreshToken: async (_ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && refreshTokenAllowedByQuirks(client, code),
  // Tokens outlive the provider's browser session, as they do at a real provider.
  expiresWithSession: async () => false,
  // A function, so the rotateRefreshTokens quirk can switch it at run time.
  rotateRefreshToken: () => quirks.rotateRefreshTokens !== false,
  ttl: {
    AccessToken: () => accessTokenTtl,
    RefreshToken: () => refreshTokenTtl,
    AuthorizationCode: () => 60,
    IdToken: () => 3600,
    Interaction: () => 600,
    Session: () => 24 * 60 * 60,
    // A grant must outlive its refresh tokens, which restart their lifetime on every rotation.
    Grant: () => 365 * 24 * 60 * 60,
  },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  clientBasedCORS: () => false,
  // JSON instead of the library's HTML page, so the scripted browser can report what went wrong.
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});

/**
 * What each authorization asked for, by grant id (recorded at consent), and which account + client pairs got a
 * refresh token already: Google issues one only on the first consent unless `prompt=consent` forces a new one.
 */
const consentRequests = new Map(); // grantId -> { prompt: string[], accessType?: string }
const refreshTokenIssuedTo = new Set(); // `${accountId} ${clientId}`

function refreshTokenAllowedByQuirks(client, code) {
  // Only code grants are judged; other sources (device codes, ...) are not used here.
  if (code?.kind !== 'AuthorizationCode') return true;
  const request = consentRequests.get(code.grantId) ?? { prompt: [] };
  if (quirks.refreshTokenRequiresOfflineAccess && request.accessType !== 'offline') return false;
  const key = `${code.accountId} ${client.clientId}`;
  const first = !refreshTokenIssuedTo.has(key);
  if (quirks.refreshTokenOnFirstConsentOnly && !first && !request.prompt.includes('consent')) return false;
  refreshTokenIssuedTo.add(key);
  return true;
}

/** RFC 7009 §2.1: a client may revoke only its own tokens (same rule as oidc-provider's default, minus its notice). */
async function revocationAllowed(_ctx, client, token) {
  if (token.clientId !== client.clientId) {
    throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
  }
  return true;
}

provider.on('grant.success', (ctx) => {
  const type = ctx.oidc.params?.grant_type;
  if (type === 'authorization_code') stats.authorizationCodeGrants += 1;
  if (type === 'refresh_token') stats.refreshGrants += 1;
});
provider.on('grant.error', (ctx, err) => {
  if (ctx.oidc?.params?.grant_type !== 'refresh_token') return;
  stats.refreshFailures += 1;
  // refresh_token.js throws InvalidGrant('refresh token already used') after destroying the grant.
  if (err?.error_detail === 'refresh token already used') stats.reuseDetected += 1;
});
provider.on('grant.revoked', () => {
  stats.grantsRevoked += 1;
});

// ---------------------------------------------------------------------------------------------- middleware

const pendingFaults = { token: [], revocation: [] };
const FAULT_PATHS = new Map([
  [ROUTES.token, 'token'],
  [ROUTES.revocation, 'revocation'],
]);

/** Takes the next fault for an endpoint, if any, and counts it down. */
function takeFault(endpoint) {
  const queue = pendingFaults[endpoint];
  const fault = queue[0];
  if (!fault) return undefined;
  fault.count -= 1;
  if (fault.count <= 0) queue.shift();
  return fault;
}

/** Answers a request with a fault; returns false when the request should still reach oidc-provider (slow). */
async function serveFault(ctx, fault) {
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

/** Parses a control request's JSON body; answers 400 itself and returns undefined when it is not JSON. */
async function readJson(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    ctx.status = 400;
    ctx.body = { error: 'body must be JSON' };
    return undefined;
  }
}

function validateFault(f) {
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

async function control(ctx) {
  const remote = ctx.req.socket.remoteAddress;
  if (remote !== '127.0.0.1' && remote !== '::1' && remote !== '::ffff:127.0.0.1') ctx.throw(403);
  ctx.type = 'json';
  const route = `${ctx.method} ${ctx.path}`;
  switch (route) {
    case 'GET /__control/stats':
      ctx.body = stats;
      return;
    case 'POST /__control/reset-stats':
      stats = emptyStats();
      ctx.body = { ok: true };
      return;
    case 'POST /__control/faults': {
      const f = await readJson(ctx);
      if (f === undefined) return;
      const problem = validateFault(f);
      if (problem) {
        ctx.status = 400;
        ctx.body = { error: problem };
        return;
      }
      pendingFaults[f.endpoint].push({ ...f, count: f.count ?? 1 });
      ctx.body = { ok: true };
      return;
    }
    case 'GET /__control/quirks':
      ctx.body = quirks;
      return;
    case 'POST /__control/quirks': {
      const q = await readJson(ctx);
      if (q === undefined) return;
      const problem = validateQuirks(q);
      if (problem) {
        ctx.status = 400;
        ctx.body = { error: problem };
        return;
      }
      quirks = q;
      graceAnswers.clear();
      ctx.body = { ok: true };
      return;
    }
    case 'POST /__control/clear-faults':
      pendingFaults.token = [];
      pendingFaults.revocation = [];
      ctx.body = { ok: true };
      return;
    case 'POST /__control/revoke-grants': {
      const body = await readJson(ctx);
      if (body === undefined) return;
      const accountId = body?.accountId;
      if (typeof accountId !== 'string' || !accountId) {
        ctx.status = 400;
        ctx.body = { error: 'accountId must be a string' };
        return;
      }
      const ids = grantIdsOf(accountId);
      graceAnswers.clear();
      for (const grantId of ids) {
        await Promise.all([
          provider.AccessToken.revokeByGrantId(grantId),
          provider.RefreshToken.revokeByGrantId(grantId),
          provider.AuthorizationCode.revokeByGrantId(grantId),
          provider.Grant.adapter.destroy(grantId),
        ]);
        stats.grantsRevoked += 1;
      }
      ctx.body = { revoked: ids.length };
      return;
    }
    default:
      ctx.status = 404;
      ctx.body = { error: 'unknown control route' };
  }
}

/** The auto-approving stand-in for a login + consent UI. */
async function interaction(ctx) {
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    // e.g. SessionNotFound when the interaction cookie is missing or the interaction expired.
    ctx.body = { error: 'invalid_request', error_description: err.error_description ?? err.message };
    return;
  }
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    const hint = typeof params.login_hint === 'string' && params.login_hint ? params.login_hint : DEFAULT_ACCOUNT;
    if (hint === 'deny') {
      result = { error: 'access_denied', error_description: 'the end-user denied the request' };
    } else if (!ACCOUNT_ID.test(hint)) {
      result = { error: 'invalid_request', error_description: 'login_hint is not a valid account id' };
    } else {
      result = { login: { accountId: hint } };
    }
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    const grantId = await grant.save();
    consentRequests.set(grantId, {
      prompt: typeof params.prompt === 'string' ? params.prompt.split(' ') : [],
      ...(typeof params.access_type === 'string' ? { accessType: params.access_type } : {}),
    });
    result = { consent: details.grantId ? {} : { grantId } };
  } else {
    result = { error: 'access_denied', error_description: `unsupported prompt ${prompt.name}` };
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: !('error' in result),
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

/**
 * Token and revocation requests run one at a time. oidc-provider reads a refresh token, awaits several lookups,
 * then marks it consumed; two concurrent refreshes of one token could both pass the check in between. Serialised,
 * the second one always meets a consumed token and triggers reuse detection, which is what a provider with an
 * atomic store does and what the vault's single-flight refresh has to survive.
 */
let tokenQueue = Promise.resolve();
function serialised(fn) {
  const run = tokenQueue.then(fn);
  tokenQueue = run.catch(() => {});
  return run;
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__control/')) return control(ctx);
  if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) return interaction(ctx);

  const endpoint = FAULT_PATHS.get(ctx.path);
  if (endpoint === 'token') stats.tokenRequests += 1;
  if (endpoint === 'revocation') stats.revocationRequests += 1;
  const fault = endpoint && takeFault(endpoint);
  if (fault && (await serveFault(ctx, fault))) return undefined;

  if (endpoint === 'token') {
    const presented = await presentedForGrace(ctx);
    await serialised(async () => {
      if (serveFromGrace(ctx, presented)) return;
      await next();
      applyTokenQuirks(ctx);
      rememberForGrace(ctx, presented);
    });
  } else {
    await (endpoint ? serialised(next) : next());
  }
  if (ctx.status === 200 && ctx.path === ROUTES.revocation) {
    stats.revocations += 1;
    graceAnswers.clear(); // a revoked token's successor must not come back through the grace window
  }
  if (ctx.status === 200 && ctx.path === ROUTES.introspection) stats.introspections += 1;
  return undefined;
});

/** Rewrites a token endpoint answer the way the quirk switches say (after oidc-provider produced it). */
function applyTokenQuirks(ctx) {
  const body = ctx.body;
  if (body === null || typeof body !== 'object') return;
  const grantType = ctx.oidc?.params?.grant_type;
  if (typeof body.error === 'string') {
    const renamed = quirks.errorCodes?.[`${grantType}:${body.error}`] ?? quirks.errorCodes?.[body.error];
    if (renamed !== undefined) body.error = renamed;
    if (quirks.tokenErrorStatus !== undefined) ctx.status = quirks.tokenErrorStatus;
    return;
  }
  if (ctx.status !== 200 || typeof body.access_token !== 'string') return;
  if (quirks.tokenType !== undefined) body.token_type = quirks.tokenType;
  if (quirks.expiresIn === 'string' && typeof body.expires_in === 'number') body.expires_in = String(body.expires_in);
  if (quirks.expiresIn === 'absent') delete body.expires_in;
  if (quirks.refreshTokenExpiresIn !== undefined) {
    body[quirks.refreshTokenExpiresIn.field] = quirks.refreshTokenExpiresIn.seconds ?? refreshTokenTtl;
  }
  // Without rotation oidc-provider repeats the presented token; Google's answers carry none.
  if (grantType === 'refresh_token' && body.refresh_token === ctx.oidc.params.refresh_token) delete body.refresh_token;
}

/**
 * Answers of refresh grants by the presented token's hash, for the reuseGraceSeconds quirk: within the window the
 * used token gets the same answer again (Okta's and Auth0's grace period), and only the latest predecessor of a
 * token does (a successor's own use ends its predecessor's window).
 */
const graceAnswers = new Map(); // sha256(presented) -> { body, until, successor }

function tokenHash(token) {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * The refresh token of a refresh grant, read before oidc-provider sees the request; only while the grace quirk is
 * on. oidc-provider then parses the body from `ctx.request.body` because the stream is consumed.
 */
async function presentedForGrace(ctx) {
  if (!(quirks.reuseGraceSeconds > 0) || ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded'))
    return undefined;
  const chunks = [];
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false })) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  ctx.request.body = text;
  const form = new URLSearchParams(text);
  return form.get('grant_type') === 'refresh_token' ? (form.get('refresh_token') ?? undefined) : undefined;
}

function serveFromGrace(ctx, presented) {
  if (presented === undefined) return false;
  const entry = graceAnswers.get(tokenHash(presented));
  if (entry === undefined || entry.until <= Date.now()) return false;
  stats.reuseGraceServed += 1;
  ctx.status = 200;
  ctx.set('cache-control', 'no-store');
  ctx.body = { ...entry.body };
  return true;
}

function rememberForGrace(ctx, presented) {
  if (presented === undefined || ctx.status !== 200 || typeof ctx.body?.refresh_token !== 'string') return;
  const used = tokenHash(presented);
  for (const [key, entry] of graceAnswers)
    if (entry.successor === used || entry.until <= Date.now()) graceAnswers.delete(key);
  graceAnswers.set(used, {
    body: { ...ctx.body },
    until: Date.now() + quirks.reuseGraceSeconds * 1000,
    successor: tokenHash(ctx.body.refresh_token),
  });
}

server.on('request', provider.callback());

// ---------------------------------------------------------------------------------------------- lifecycle

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections(); // includes requests held open by the `hang` fault
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (process.env.DEV_PROVIDER_EXIT_ON_STDIN_END === '1') {
  process.stdin.on('end', shutdown).on('error', shutdown).resume();
}

process.stdout.write(`${JSON.stringify({ ready: true, issuer, port: actualPort })}\n`);
