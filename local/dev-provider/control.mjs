/** The test control routes under /__control/ (loopback only, JSON; listed in ../dev-provider.mjs). */
import { addFault, clearFaults, validateFault } from './faults.mjs';
import { clearGrace } from './grace.mjs';
import { provider } from './provider.mjs';
import { quirks, setQuirks, validateQuirks } from './quirks.mjs';
import { resetStats, stats } from './stats.mjs';
import { grantIdsOf } from './store.mjs';

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

/**
 * Reads a control request's JSON body and checks it with `validate` (a message, or undefined when it is fine);
 * answers 400 itself and returns undefined when either fails.
 */
async function readChecked(ctx, validate) {
  const body = await readJson(ctx);
  if (body === undefined) return undefined;
  const problem = validate(body);
  if (problem) {
    ctx.status = 400;
    ctx.body = { error: problem };
    return undefined;
  }
  return body;
}

function validateRevokeGrants(body) {
  const accountId = body?.accountId;
  return typeof accountId !== 'string' || !accountId ? 'accountId must be a string' : undefined;
}

/** Serves one request under /__control/. */
export async function control(ctx) {
  const remote = ctx.req.socket.remoteAddress;
  if (remote !== '127.0.0.1' && remote !== '::1' && remote !== '::ffff:127.0.0.1') ctx.throw(403);
  ctx.type = 'json';
  const route = `${ctx.method} ${ctx.path}`;
  switch (route) {
    case 'GET /__control/stats':
      ctx.body = stats;
      return;
    case 'POST /__control/reset-stats':
      resetStats();
      ctx.body = { ok: true };
      return;
    case 'POST /__control/faults': {
      const f = await readChecked(ctx, validateFault);
      if (f === undefined) return;
      addFault(f);
      ctx.body = { ok: true };
      return;
    }
    case 'GET /__control/quirks':
      ctx.body = quirks;
      return;
    case 'POST /__control/quirks': {
      const q = await readChecked(ctx, validateQuirks);
      if (q === undefined) return;
      setQuirks(q);
      clearGrace();
      ctx.body = { ok: true };
      return;
    }
    case 'POST /__control/clear-faults':
      clearFaults();
      ctx.body = { ok: true };
      return;
    case 'POST /__control/revoke-grants': {
      const body = await readChecked(ctx, validateRevokeGrants);
      if (body === undefined) return;
      const ids = grantIdsOf(body.accountId);
      clearGrace();
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
