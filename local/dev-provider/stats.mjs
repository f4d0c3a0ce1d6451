/** The development provider's counters, read and zeroed through /__control/stats and /__control/reset-stats. */

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
export let stats = emptyStats();

/** Zeroes every counter. */
export function resetStats() {
  stats = emptyStats();
}
