/**
 * Plays the user's browser against the development provider (`local/dev-provider.mjs`), whose interactions
 * approve at once: follows its redirects with a cookie jar until it sends the browser back to the client.
 */

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
export async function completeAuthorization(authorizationUrl: string, opts: CompleteAuthorizationOptions = {}): Promise<URL> {
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
      throw new Error(`authorization stopped at ${url.pathname}: HTTP ${res.status}${describeError(body)}`);
    }
    const next = new URL(location, url);
    if (next.origin !== providerOrigin) return next;
    url = next;
  }
  throw new Error(`authorization did not leave the provider after ${MAX_HOPS} redirects`);
}

/** The provider renders errors as JSON `{error, error_description}` (see its renderError); quote only those. */
function describeError(body: string): string {
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

interface Cookie {
  readonly value: string;
  readonly path: string;
  readonly expiresAt: number;
}

/**
 * Just enough of RFC 6265 for one host: name + path keyed, `Path`, `Expires` and `Max-Age` honoured (the provider
 * scopes its interaction cookies by path and clears them by expiring them); `Domain` and `Secure` are ignored.
 */
class CookieJar {
  readonly #cookies = new Map<string, Cookie & { readonly name: string }>();

  store(from: URL, setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      let path = defaultPath(from);
      let expires: number | undefined;
      let maxAge: number | undefined;
      for (const attribute of attributes) {
        const [key = '', ...rest] = attribute.split('=');
        const value = rest.join('=');
        switch (key.toLowerCase()) {
          case 'path':
            if (value.startsWith('/')) path = value;
            break;
          case 'expires': {
            const at = Date.parse(value);
            if (!Number.isNaN(at)) expires = at;
            break;
          }
          case 'max-age':
            if (/^-?\d+$/.test(value)) maxAge = Date.now() + Number(value) * 1000;
            break;
        }
      }
      // Max-Age wins over Expires (RFC 6265 §5.3 step 3); Koa clears a cookie with an Expires in 1970.
      const expiresAt = maxAge ?? expires ?? Infinity;
      const key = `${name}\u0000${path}`;
      if (expiresAt <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value: pair.slice(eq + 1), path, expiresAt });
    }
  }

  header(to: URL): string {
    const now = Date.now();
    return [...this.#cookies.values()]
      .filter((c) => c.expiresAt > now && pathMatches(to.pathname, c.path))
      // Longer paths first (RFC 6265 §5.4 step 2).
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : url.pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}
