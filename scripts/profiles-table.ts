/**
 * Prints the README's provider table from packages/cdk/src/definitions/profiles/catalogue.ts (the one definition of each
 * profile). test/docs/readme.test.ts fails when the README's copy is out of date.
 */
import { PROFILES } from '@token-vault/cdk/src/definitions/profiles/catalogue';
import type { ProviderProfile } from '@token-vault/cdk/src/definitions/profiles/types';

const DAY = 24 * 60 * 60;

function quirks(p: ProviderProfile): string {
  const q = p.quirks;
  const out: string[] = [];
  out.push(
    q.rotatesRefreshTokens
      ? `rotates refresh tokens${q.reuseGraceSeconds ? ` (reuse grace ${q.reuseGraceSeconds} s)` : ''}`
      : 'no rotation',
  );
  if (q.refreshTokenOnFirstConsentOnly) out.push('refresh token on first consent only');
  if (q.refreshTokenIdleExpirySeconds !== undefined)
    out.push(`idle refresh tokens die after ${Math.round(q.refreshTokenIdleExpirySeconds / DAY)} days`);
  if (q.statesRefreshTokenExpiry) out.push('states `refresh_token_expires_in`');
  if (q.refreshExpiresInZero) out.push('`refresh_expires_in: 0`');
  if (q.omitsExpiresIn) out.push('no `expires_in`');
  if (q.expiresInAsString) out.push('`expires_in` as a string');
  if (q.tokenErrorsWithHttp200) out.push('errors with HTTP 200');
  if (q.nonStandardTokenType) out.push('token type not spelled `Bearer`');
  return out.join('; ');
}

function defaults(p: ProviderProfile): string {
  const out: string[] = [];
  const params = Object.keys(p.parameters);
  if (params.length > 0) out.push(`parameters ${params.map((n) => `\`${n}\``).join(', ')}`);
  if (p.requiredScopes.length > 0) out.push(`always asks ${p.requiredScopes.map((s) => `\`${s}\``).join(' ')}`);
  const auth = Object.entries(p.authorizationParameters);
  if (auth.length > 0) out.push(auth.map(([k, v]) => `\`${k}=${v}\``).join(' '));
  out.push(p.revocationBody === 'none' ? 'no RFC 7009 revocation' : `${p.revocationBody} revocation`);
  const codes = Object.entries(p.errorCodes);
  if (codes.length > 0) out.push(`maps ${codes.map(([k, v]) => `\`${k}\`→\`${v}\``).join(', ')}`);
  if (p.endpoints.issuer !== undefined) out.push('checks `iss`');
  return out.join('; ');
}

export function profilesTable(): string {
  const rows = Object.values(PROFILES).map((p) => `| \`${p.id}\` | ${p.name} | ${defaults(p)} | ${quirks(p)} |`);
  return ['| Profile | Provider | What the profile sets | Documented quirks |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

if (require.main === module) process.stdout.write(`${profilesTable()}\n`);
