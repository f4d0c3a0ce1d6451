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
 * Quirk switches make this peer behave like a specific real provider (all off by default; see `validateQuirks()`
 * in ./dev-provider/quirks.mjs):
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
 *   GET  /__control/stats          counters, see `emptyStats()` in ./dev-provider/stats.mjs
 *   POST /__control/reset-stats    zeroes the counters
 *   POST /__control/faults         { endpoint: 'token'|'revocation', mode, status?, retryAfter?, delayMs?, body?, count }
 *                                  the next `count` requests to that endpoint get the fault (./dev-provider/faults.mjs)
 *   POST /__control/clear-faults   drops pending faults
 *   POST /__control/revoke-grants  { accountId } -> { revoked: n }: withdraws every grant of that account
 *   GET  /__control/quirks         the quirk switches in force
 *   POST /__control/quirks         { ...quirks } replaces all of them ({} turns every quirk off)
 *
 * Output: exactly one line on stdout when ready, {"ready":true,"issuer":"...","port":N}. oidc-provider's own
 * notices go to stderr; nothing prints tokens, codes or secrets.
 *
 * The modules under ./dev-provider/: config (the environment), provider (oidc-provider and its server), store
 * (grants and tokens in memory), quirks, grace (the reuse grace window), faults, stats, control (/__control/),
 * interaction (the auto-approval) and main (middleware, shutdown, ready line).
 */

// oidc-provider prints its notices with console.info (stdout), which would break the one-line stdout contract.
// Route every console channel to stderr before it is loaded (hence the dynamic import below).
console.log = console.info = console.debug = console.error;
// The `debug` package would log request errors with their details; this server is quiet whatever the parent's env.
delete process.env.DEBUG;
await import('./dev-provider/main.mjs');
