/**
 * The quirk switches that make the development provider behave like a specific real provider (listed in
 * ../dev-provider.mjs): checked here, replaced at run time through /__control/quirks, and applied to the token
 * endpoint's answers after oidc-provider produced them.
 */
import { fail, refreshTokenTtl } from './config.mjs';

const TOKEN_TYPE = /^[A-Za-z0-9_-]{1,32}$/;
const ERROR_CODE = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/;

/** Checks a quirks object; returns a message naming the bad switch, or undefined. */
export function validateQuirks(q) {
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

export let quirks = readQuirks();

/** Replaces every quirk switch (already checked with {@link validateQuirks}). */
export function setQuirks(q) {
  quirks = q;
}

/** Rewrites a token endpoint answer the way the quirk switches say (after oidc-provider produced it). */
export function applyTokenQuirks(ctx) {
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
