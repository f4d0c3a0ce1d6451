/** The callback's HTTP answer: a redirect to `returnTo`, or a small static page. Nothing from the request in it. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CallbackOutcome } from '../core/vault/authorization-types';

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
} as const;

const PAGES: Record<string, { title: string; text: string }> = {
  connected: { title: 'Connected', text: 'Your account is connected. You can close this window.' },
  access_denied: { title: 'Not connected', text: 'The authorization was declined. You can close this window.' },
  invalid_request: {
    title: 'Link expired or invalid',
    text: 'This authorization link is invalid, expired or already used. Start again from the application.',
  },
  authorization_failed: {
    title: 'Not connected',
    text: 'The provider did not complete the authorization. Start again from the application.',
  },
  provider_unavailable: {
    title: 'Try again later',
    text: 'The provider could not be reached. Start again in a few minutes.',
  },
  internal_error: { title: 'Try again later', text: 'Something went wrong on our side. Start again in a few minutes.' },
};

export function callbackResponse(outcome: CallbackOutcome): APIGatewayProxyStructuredResultV2 {
  const key = outcome.status === 'error' ? outcome.error : 'connected';
  if (outcome.returnTo !== undefined) {
    const target = new URL(outcome.returnTo);
    target.searchParams.set('status', outcome.status);
    if (outcome.status === 'error') target.searchParams.set('error', outcome.error);
    // Session binding: the single-use handle the application's backend hands to `complete` (no-referrer above keeps
    // it out of the next page's Referer).
    if (outcome.status === 'pending') target.searchParams.set('flow', outcome.flowHandle);
    return { statusCode: 302, headers: { ...SECURITY_HEADERS, location: target.toString() }, body: '' };
  }
  const page = PAGES[key] ?? PAGES.internal_error!;
  const status = outcome.status === 'error' ? 400 : 200;
  return {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${page.title}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:4rem auto"><h1>${page.title}</h1><p>${page.text}</p></body></html>`,
  };
}
