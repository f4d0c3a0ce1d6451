/**
 * Plays the user's browser against the development provider (`local/dev-provider.mjs`), whose interactions
 * approve at once: follows its redirects with a cookie jar until it sends the browser back to the client.
 */
import { CookieJar } from './http/cookie-jar';

/** Options of {@link completeAuthorization}. */
export interface CompleteAuthorizationOptions {
  /** Account to sign in as (sent as `login_hint`); `deny` makes the provider refuse with `access_denied`. */
  readonly loginHint?: string;
}

const MAX_HOPS = 10;

/**
 * Runs an authorization request through the development provider and returns the URL it redirects to at the
 * client (the redirect_uri with `code`, `state`, `iss`, or with `error`), without requesting that URL.
 * Every URL on the authorization URL's origin counts as the provider's. Errors never quote query strings,
 * so they never contain a code.
 */
export async function completeAuthorization(
  authorizationUrl: string,
  opts: CompleteAuthorizationOptions = {},
): Promise<URL> {
  let url = new URL(authorizationUrl);
  if (opts.loginHint !== undefined) url.searchParams.set('login_hint', opts.loginHint);
  const providerOrigin = url.origin;
  const jar = new CookieJar();

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: jar.header(url), accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    jar.store(url, res.headers.getSetCookie());
    const location = res.headers.get('location');
    const body = await res.text();
    if (res.status < 300 || res.status > 399 || !location) {
      throw new Error(`authorization stopped at ${url.pathname}: HTTP ${res.status}${providerErrorOf(body)}`);
    }
    const next = new URL(location, url);
    if (next.origin !== providerOrigin) return next;
    url = next;
  }
  throw new Error(`authorization did not leave the provider after ${MAX_HOPS} redirects`);
}

/** The provider renders errors as JSON `{error, error_description}` (see its renderError); quote only those. */
function providerErrorOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    if (typeof parsed.error === 'string') {
      const description = typeof parsed.error_description === 'string' ? ` (${parsed.error_description})` : '';
      return ` ${parsed.error}${description}`;
    }
  } catch {
    // not JSON
  }
  return '';
}
