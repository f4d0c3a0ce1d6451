/**
 * The oidc-provider instance and its HTTP server, listening on loopback once this module is loaded: the
 * authorization server's configuration, its refresh-token issue policy (with the Google-like quirks) and the
 * counters it feeds through its events.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { errors } from 'oidc-provider';
import { accessTokenTtl, clients, HOST, port, refreshTokenTtl, ROUTES, scopes } from './config.mjs';
import { quirks } from './quirks.mjs';
import { stats } from './stats.mjs';
import { MapAdapter } from './store.mjs';

export const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, HOST, resolve);
});
export const actualPort = server.address().port;
export const issuer = `http://${HOST}:${actualPort}`;

export const provider = new Provider(issuer, {
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
export const consentRequests = new Map(); // grantId -> { prompt: string[], accessType?: string }
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
