/**
 * The development provider's settings, read once from its environment (the variables are listed in
 * ../dev-provider.mjs). A bad value ends the process with status 2 and a message naming the variable.
 */

export const HOST = '127.0.0.1';
export const ROUTES = {
  authorization: '/auth',
  token: '/token',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
};
const BASE_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'read', 'write'];

export function fail(message) {
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

export const port = integerEnv('DEV_PROVIDER_PORT', 0, 0);
export const clients = readClients();
export const accessTokenTtl = integerEnv('DEV_PROVIDER_ACCESS_TOKEN_TTL', 3600, 1);
export const refreshTokenTtl = integerEnv('DEV_PROVIDER_REFRESH_TOKEN_TTL', 30 * 24 * 60 * 60, 1);
export const scopes = [
  ...new Set([...BASE_SCOPES, ...(process.env.DEV_PROVIDER_EXTRA_SCOPES ?? '').split(/\s+/).filter(Boolean)]),
];
