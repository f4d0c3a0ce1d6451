/**
 * Plays the user's browser against Keycloak's login pages over plain HTTP (no browser): follows the
 * authorization request with a cookie jar, submits the login form, and returns the redirect to the client.
 */
import { CookieJar } from '../http/cookie-jar';

export interface KeycloakLoginOptions {
  readonly username: string;
  readonly password: string;
  /**
   * The client's redirect URI: the first redirect to it ends the flow. Default: the first redirect that leaves
   * Keycloak's origin.
   */
  readonly redirectUri?: string;
}

const MAX_STEPS = 15;

/**
 * Runs an authorization URL (the vault's `connect` answer) through Keycloak's login and returns the URL Keycloak
 * redirects the browser to at the client (`code`, `state`, `iss`, or `error`), without requesting it. Handles the
 * pages Keycloak may put in between: consent (accepted) and the update-profile required action (filled with
 * test values). Errors quote page titles and Keycloak's messages, never a query string (it may hold a code).
 */
export async function keycloakLogin(authorizationUrl: string, opts: KeycloakLoginOptions): Promise<URL> {
  let request: { url: URL; method: 'GET' | 'POST'; body?: URLSearchParams } = {
    url: new URL(authorizationUrl),
    method: 'GET',
  };
  const keycloakOrigin = request.url.origin;
  const jar = new CookieJar();
  let loginAttempts = 0;

  for (let step = 0; step < MAX_STEPS; step += 1) {
    const res = await fetch(request.url, {
      method: request.method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(request.url),
        accept: 'text/html',
        ...(request.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(request.body ? { body: request.body.toString() } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    jar.store(request.url, res.headers.getSetCookie());
    const body = await res.text();
    const location = res.headers.get('location');

    if (res.status >= 300 && res.status <= 399 && location) {
      const next = new URL(location, request.url);
      if (isClientRedirect(next, keycloakOrigin, opts.redirectUri)) return next;
      request = { url: next, method: 'GET' };
      continue;
    }
    if (res.status !== 200)
      throw new Error(`Keycloak login stopped at ${request.url.pathname}: HTTP ${res.status}${describePage(body)}`);

    const form = parseForms(body, request.url)[0];
    if (!form)
      throw new Error(`Keycloak login stopped at ${request.url.pathname}: a page without a form${describePage(body)}`);
    const fields = new URLSearchParams();
    for (const input of form.inputs) {
      if (input.type !== 'submit' && input.type !== 'button' && input.type !== 'checkbox')
        fields.set(input.name, input.value);
    }
    const names = new Set(form.inputs.map((input) => input.name));
    if (names.has('password') && names.has('username')) {
      loginAttempts += 1;
      // The login page again means the credentials were refused.
      if (loginAttempts > 1) throw new Error(`Keycloak refused the login of ${opts.username}${describePage(body)}`);
      fields.set('username', opts.username);
      fields.set('password', opts.password);
    } else if (names.has('accept')) {
      // Consent page: the button pressed is part of the form data.
      fields.set('accept', 'Yes');
    } else if (names.has('email') || names.has('firstName') || names.has('lastName')) {
      // VERIFY_PROFILE / UPDATE_PROFILE required action.
      if (!fields.get('email')) fields.set('email', `${opts.username}@example.test`);
      if (!fields.get('firstName')) fields.set('firstName', opts.username);
      if (!fields.get('lastName')) fields.set('lastName', 'Test');
    } else {
      throw new Error(`Keycloak login stopped at ${request.url.pathname}: unexpected form${describePage(body)}`);
    }
    request = { url: form.action, method: form.method, body: fields };
  }
  throw new Error(`Keycloak login did not reach the client after ${MAX_STEPS} steps`);
}

function isClientRedirect(url: URL, keycloakOrigin: string, redirectUri: string | undefined): boolean {
  if (redirectUri !== undefined) return `${url.origin}${url.pathname}` === redirectUri;
  return url.origin !== keycloakOrigin;
}

interface FormInput {
  readonly name: string;
  readonly value: string;
  readonly type: string;
}

interface Form {
  readonly action: URL;
  readonly method: 'GET' | 'POST';
  readonly inputs: readonly FormInput[];
}

/** Just enough HTML for Keycloak's themes: `<form action method>` and the `<input>`/`<button name>` inside. */
function parseForms(html: string, base: URL): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = parseAttributes(match[1] ?? '');
    const action = attributes.get('action');
    if (action === undefined) continue;
    const inputs: FormInput[] = [];
    for (const tag of (match[2] ?? '').matchAll(/<(input|button)\b([^>]*)>/gi)) {
      const input = parseAttributes(tag[2] ?? '');
      const name = input.get('name');
      if (name === undefined) continue;
      const type = (input.get('type') ?? (tag[1]?.toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase();
      inputs.push({ name, value: input.get('value') ?? '', type });
    }
    forms.push({
      action: new URL(action, base),
      method: attributes.get('method')?.toUpperCase() === 'GET' ? 'GET' : 'POST',
      inputs,
    });
  }
  return forms;
}

function parseAttributes(source: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of source.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    const name = match[1]?.toLowerCase();
    if (name) attributes.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return attributes;
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return named[entity.toLowerCase()] ?? whole;
  });
}

/** The page's title and Keycloak's feedback message (e.g. "Invalid username or password."), for errors. */
function describePage(html: string): string {
  const strip = (s: string | undefined): string =>
    decodeEntities((s ?? '').replace(/<[^>]*>/g, ' '))
      .replace(/\s+/g, ' ')
      .trim();
  const title = strip(/<title>([\s\S]*?)<\/title>/i.exec(html)?.[1]);
  const feedback = strip(
    /<span[^>]*(?:id="input-error"|class="[^"]*kc-feedback-text[^"]*")[^>]*>([\s\S]*?)<\/span>/i.exec(html)?.[1] ??
      /<div[^>]*class="[^"]*(?:alert-error|pf-m-danger)[^"]*"[^>]*>([\s\S]*?)<\/div>/i.exec(html)?.[1],
  );
  const parts = [title && `page "${title}"`, feedback && `message "${feedback}"`].filter(Boolean);
  return parts.length > 0 ? `: ${parts.join(', ')}` : '';
}
