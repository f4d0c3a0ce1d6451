/**
 * The callback's HTTP answer alone (packages/cdk/functions/runtime/callback-response.ts): a redirect to `returnTo`
 * with the outcome in fixed parameters, or a static page; security headers on both; nothing from the request.
 */
import { callbackResponse } from '@token-vault/cdk/functions/runtime/callback-response';

const RETURN_TO = 'https://app.example.test/connected?tab=accounts';

describe('callbackResponse', () => {
  it('redirects a connected flow to returnTo with status=connected, keeping its own query', () => {
    const response = callbackResponse({ status: 'connected', userId: 'u', applicationId: 'a', returnTo: RETURN_TO });
    expect(response.statusCode).toBe(302);
    const location = new URL(String(response.headers?.location));
    expect(location.origin + location.pathname).toBe('https://app.example.test/connected');
    expect(Object.fromEntries(location.searchParams)).toEqual({ tab: 'accounts', status: 'connected' });
    expect(response.body).toBe('');
  });

  it('redirects an error with its fixed code, and a pending flow with its handle', () => {
    const failed = callbackResponse({
      status: 'error',
      error: 'access_denied',
      reason: 'denied',
      returnTo: RETURN_TO,
    });
    expect(Object.fromEntries(new URL(String(failed.headers?.location)).searchParams)).toEqual({
      tab: 'accounts',
      status: 'error',
      error: 'access_denied',
    });
    const pending = callbackResponse({
      status: 'pending',
      userId: 'u',
      applicationId: 'a',
      returnTo: RETURN_TO,
      flowHandle: 'h'.repeat(43),
    });
    expect(new URL(String(pending.headers?.location)).searchParams.get('status')).toBe('pending');
    expect(new URL(String(pending.headers?.location)).searchParams.get('flow')).toBe('h'.repeat(43));
  });

  it('without returnTo answers a static page: 200 when connected, 400 with the error page otherwise', () => {
    const ok = callbackResponse({ status: 'connected', userId: 'u', applicationId: 'a' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(ok.body).toContain('<title>Connected</title>');
    const expired = callbackResponse({ status: 'error', error: 'invalid_request', reason: 'expired_state' });
    expect(expired.statusCode).toBe(400);
    expect(expired.body).toContain('Link expired or invalid');
    const provider = callbackResponse({ status: 'error', error: 'provider_unavailable', reason: 'exchange_failed' });
    expect(provider.body).toContain('<title>Try again later</title>');
  });

  it('sends the security headers on every answer', () => {
    for (const response of [
      callbackResponse({ status: 'connected', userId: 'u', applicationId: 'a', returnTo: RETURN_TO }),
      callbackResponse({ status: 'error', error: 'internal_error', reason: 'internal' }),
    ]) {
      expect(response.headers).toMatchObject({
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
      });
      expect(String(response.headers?.['content-security-policy'])).toContain("frame-ancestors 'none'");
    }
  });
});
