/**
 * The scale bench's token endpoint, in its own process (so its latency timer and JSON work don't share the bench's
 * event loop): refresh-token rotation with reuse detection, like the development provider, but with grants that
 * are seeded in bulk instead of 20,000 authorization flows, and a fixed answer latency.
 *
 *   POST /token                      grant_type=refresh_token&refresh_token=... (client authentication not checked)
 *   POST /__control/seed             { "grants": [[accountId, refreshToken], ...] }
 *   POST /__control/latency          { "ms": 300 }
 *   GET  /__control/stats            { refreshGrants, reuseDetected, invalidGrants, accounts, maxGrantsPerAccount }
 *   POST /__control/reset-stats
 *
 * A rotated refresh token presented again is reuse: the grant is revoked (every token of the account dies) and the
 * answer is `invalid_grant`, as OAuth 2.0 Security BCP §4.14 asks of a provider. Started by bench/scale/provider.ts;
 * prints `{"port": N}` on stdout once listening.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

/** refresh token -> { account, live }: live false once rotated. */
const tokens = new Map();
/** account -> its live refresh token (undefined once revoked). */
const live = new Map();
let latencyMs = 0;
let stats = emptyStats();

function emptyStats() {
  return { refreshGrants: 0, reuseDetected: 0, invalidGrants: 0, perAccount: new Map() };
}

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

function refresh(params, res) {
  const presented = params.get('refresh_token') ?? '';
  const entry = tokens.get(presented);
  if (params.get('grant_type') !== 'refresh_token' || entry === undefined) {
    stats.invalidGrants += 1;
    return send(res, 400, { error: 'invalid_grant' });
  }
  if (!entry.live) {
    // Reuse: the whole grant dies, the current token included.
    stats.reuseDetected += 1;
    const current = live.get(entry.account);
    if (current !== undefined) tokens.get(current).live = false;
    live.delete(entry.account);
    return send(res, 400, { error: 'invalid_grant', error_description: 'refresh token already used' });
  }
  entry.live = false;
  const next = randomBytes(24).toString('base64url');
  tokens.set(next, { account: entry.account, live: true });
  live.set(entry.account, next);
  stats.refreshGrants += 1;
  stats.perAccount.set(entry.account, (stats.perAccount.get(entry.account) ?? 0) + 1);
  return send(res, 200, {
    access_token: randomBytes(24).toString('base64url'),
    token_type: 'Bearer',
    expires_in: 3600,
    refresh_token: next,
  });
}

function control(path, body, res) {
  switch (path) {
    case '/__control/seed':
      for (const [account, token] of JSON.parse(body).grants) {
        tokens.set(token, { account, live: true });
        live.set(account, token);
      }
      return send(res, 200, { accounts: live.size });
    case '/__control/latency':
      latencyMs = Number(JSON.parse(body).ms);
      return send(res, 200, { latencyMs });
    case '/__control/stats': {
      const counts = [...stats.perAccount.values()];
      return send(res, 200, {
        refreshGrants: stats.refreshGrants,
        reuseDetected: stats.reuseDetected,
        invalidGrants: stats.invalidGrants,
        accounts: counts.length,
        maxGrantsPerAccount: counts.length === 0 ? 0 : Math.max(...counts),
      });
    }
    case '/__control/reset-stats':
      stats = emptyStats();
      return send(res, 200, {});
    default:
      return send(res, 404, { error: 'not_found' });
  }
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path.startsWith('/__control/')) return control(path, body, res);
    if (path !== '/token' || req.method !== 'POST') return send(res, 404, { error: 'not_found' });
    const answer = () => refresh(new URLSearchParams(body), res);
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
