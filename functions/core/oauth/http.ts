/**
 * One HTTP exchange with the provider: a timeout on every call, failures classified into {@link OAuthError}
 * kinds, bodies parsed defensively (providers answer HTML error pages, invalid JSON, or nothing).
 */
import { OAuthError } from './errors';
import { parseRetryAfter } from './retry-after';

/** Largest body we read from a provider; a token response is a few kilobytes. */
const MAX_BODY_BYTES = 64 * 1024;

export interface ProviderResponse {
  readonly status: number;
  /** Parsed JSON object, or undefined when the body was empty. */
  readonly json?: Record<string, unknown>;
  readonly retryAfterMs?: number;
}

export interface PostOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

/** POSTs and returns the parsed answer; throws OAuthError for transport failures and unreadable answers. */
export async function postToProvider(options: PostOptions): Promise<ProviderResponse> {
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(options.url, {
      method: 'POST',
      headers: { accept: 'application/json', ...options.headers },
      body: options.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    text = await readLimited(response);
  } catch (error) {
    if (isTimeout(error)) throw new OAuthError('timeout', `The provider did not answer within ${options.timeoutMs} ms.`);
    // The cause is kept for operators' logs; it is a transport error and holds no request body.
    const code = transportCode(error);
    throw new OAuthError('network', `The provider could not be reached${code ? ` (${code})` : ''}.`, {
      cause: sanitizeCause(error),
      notSent: code !== undefined && NOT_SENT_CODES.has(code),
    });
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.now());
  const json = parseJsonObject(text);
  const base = { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (json === 'invalid') {
    if (response.status === 429) throw new OAuthError('rate_limited', 'The provider is rate limiting requests (HTTP 429).', base);
    if (response.status >= 500) throw new OAuthError('server_error', `The provider answered HTTP ${response.status}.`, base);
    throw new OAuthError('invalid_response', `The provider answered HTTP ${response.status} with a body that is not a JSON object.`, base);
  }
  return { ...base, ...(json === undefined ? {} : { json }) };
}

/**
 * Turns an error answer into an OAuthError. RFC 6749 §5.2 error codes are kept; `rate_limited` (the seed's)
 * and 429 become `rate_limited`; 5xx and `temporarily_unavailable`/`server_error` become `server_error`.
 */
export function errorFromResponse(response: ProviderResponse, what: string): OAuthError {
  const code = typeof response.json?.error === 'string' ? response.json.error : undefined;
  const details = {
    status: response.status,
    ...(code === undefined ? {} : { providerError: code }),
    ...(response.retryAfterMs === undefined ? {} : { retryAfterMs: response.retryAfterMs }),
  };
  if (response.status === 429 || code === 'rate_limited' || code === 'slow_down') {
    return new OAuthError('rate_limited', `The provider rate limited the ${what} (HTTP ${response.status}).`, details);
  }
  if (response.status >= 500 || code === 'temporarily_unavailable' || code === 'server_error') {
    return new OAuthError('server_error', `The provider failed the ${what} (HTTP ${response.status}).`, details);
  }
  if (code !== undefined && /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(code)) {
    return new OAuthError('oauth_error', `The provider refused the ${what}: ${code}.`, details);
  }
  return new OAuthError('invalid_response', `The provider refused the ${what} (HTTP ${response.status}) without an OAuth error code.`, details);
}

async function readLimited(response: Response): Promise<string> {
  const buffer = await response.arrayBuffer();
  if (buffer.byteLength > MAX_BODY_BYTES) return '\u0000too-large';
  return new TextDecoder().decode(buffer);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined | 'invalid' {
  if (text.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** Connection-phase failures: the request was never written to the provider. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

// Duck-typed, not `instanceof`: fetch's errors may come from another realm (Jest's vm, undici's DOMException).
function transportCode(error: unknown): string | undefined {
  const inner = error !== null && typeof error === 'object' ? (error as { cause?: unknown }).cause : undefined;
  const code = inner !== null && typeof inner === 'object' && 'code' in inner ? (inner).code : undefined;
  return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code : undefined;
}

function isTimeout(error: unknown): boolean {
  const name = error !== null && typeof error === 'object' ? (error as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** Keeps only the name and code of a transport error (undici errors can carry the request). */
function sanitizeCause(error: unknown): Error {
  const safe = new Error(transportCode(error) ?? 'transport error');
  const name = error !== null && typeof error === 'object' ? (error as { name?: unknown }).name : undefined;
  safe.name = typeof name === 'string' ? name : 'Error';
  return safe;
}
