/**
 * Puts the development provider together: its middleware (control routes, interactions, faults, quirks, one
 * token request at a time) in front of oidc-provider, the shutdown handlers, and the ready line on stdout.
 */
import { ROUTES } from './config.mjs';
import { control } from './control.mjs';
import { FAULT_PATHS, serveFault, takeFault } from './faults.mjs';
import { clearGrace, presentedForGrace, rememberForGrace, serveFromGrace } from './grace.mjs';
import { interaction } from './interaction.mjs';
import { actualPort, issuer, provider, server } from './provider.mjs';
import { applyTokenQuirks } from './quirks.mjs';
import { stats } from './stats.mjs';

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
    clearGrace(); // a revoked token's successor must not come back through the grace window
  }
  if (ctx.status === 200 && ctx.path === ROUTES.introspection) stats.introspections += 1;
  return undefined;
});

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
