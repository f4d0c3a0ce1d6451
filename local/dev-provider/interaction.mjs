/** `/interaction/:uid`: approves at once, signing in the account named by `login_hint`. */
import { consentRequests, provider } from './provider.mjs';

const DEFAULT_ACCOUNT = 'dev-user';
const ACCOUNT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The auto-approving stand-in for a login + consent UI. */
export async function interaction(ctx) {
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    // e.g. SessionNotFound when the interaction cookie is missing or the interaction expired.
    ctx.body = { error: 'invalid_request', error_description: err.error_description ?? err.message };
    return;
  }
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    const hint = typeof params.login_hint === 'string' && params.login_hint ? params.login_hint : DEFAULT_ACCOUNT;
    if (hint === 'deny') {
      result = { error: 'access_denied', error_description: 'the end-user denied the request' };
    } else if (!ACCOUNT_ID.test(hint)) {
      result = { error: 'invalid_request', error_description: 'login_hint is not a valid account id' };
    } else {
      result = { login: { accountId: hint } };
    }
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    const grantId = await grant.save();
    consentRequests.set(grantId, {
      prompt: typeof params.prompt === 'string' ? params.prompt.split(' ') : [],
      ...(typeof params.access_type === 'string' ? { accessType: params.access_type } : {}),
    });
    result = { consent: details.grantId ? {} : { grantId } };
  } else {
    result = { error: 'access_denied', error_description: `unsupported prompt ${prompt.name}` };
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: !('error' in result),
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}
