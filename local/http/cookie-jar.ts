/** A cookie jar for the scripted browser logins of the local stack and the tests (dev provider, Keycloak). */

interface Cookie {
  readonly value: string;
  readonly path: string;
  readonly expiresAt: number;
}

/**
 * Just enough of RFC 6265 for one host: name + path keyed, `Path`, `Expires` and `Max-Age` honoured (providers
 * scope their interaction cookies by path, Keycloak to `/realms/<realm>/`, and clear them by expiring them);
 * `Domain`, `Secure` and `SameSite` are ignored.
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.3
 */
export class CookieJar {
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
    return (
      [...this.#cookies.values()]
        .filter((c) => c.expiresAt > now && pathMatches(to.pathname, c.path))
        // Longer paths first (RFC 6265 §5.4 step 2).
        .sort((a, b) => b.path.length - a.path.length)
        .map((c) => `${c.name}=${c.value}`)
        .join('; ')
    );
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
