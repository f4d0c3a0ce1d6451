/** The reuseGraceSeconds quirk: a used refresh token presented again within the window gets the same answer. */
import { createHash } from 'node:crypto';
import { quirks } from './quirks.mjs';
import { stats } from './stats.mjs';

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
export async function presentedForGrace(ctx) {
  if (!(quirks.reuseGraceSeconds > 0) || ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded'))
    return undefined;
  const chunks = [];
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false })) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  ctx.request.body = text;
  const form = new URLSearchParams(text);
  return form.get('grant_type') === 'refresh_token' ? (form.get('refresh_token') ?? undefined) : undefined;
}

export function serveFromGrace(ctx, presented) {
  if (presented === undefined) return false;
  const entry = graceAnswers.get(tokenHash(presented));
  if (entry === undefined || entry.until <= Date.now()) return false;
  stats.reuseGraceServed += 1;
  ctx.status = 200;
  ctx.set('cache-control', 'no-store');
  ctx.body = { ...entry.body };
  return true;
}

export function rememberForGrace(ctx, presented) {
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

/** Forgets every remembered answer: after a revocation or a quirk change, nothing may come back through it. */
export function clearGrace() {
  graceAnswers.clear();
}
