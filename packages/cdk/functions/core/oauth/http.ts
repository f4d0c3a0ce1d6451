/**
 * One HTTP exchange with the provider: a timeout on every call, failures classified into {@link OAuthError}
 * kinds, bodies read as a stream up to a size limit and parsed defensively (providers answer HTML error pages,
 * invalid JSON, or nothing).
 */
import type { ErrorCodeTarget } from '../../../src/definitions/applications';
import { OAuthError } from './errors';
import { parseRetryAfter } from './retry-after';

/** Largest body we read from a provider; a token response is a few kilobytes. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ProviderResponse {
  readonly status: number;
  /** Parsed JSON object, or undefined when the body was empty. */
  readonly json?: Record<string, unknown>;
  readonly retryAfterMs?: number;
}

/** One form POST to the provider. */
export interface PostOptions {
  /** The endpoint. */
  readonly url: string;
  /** Request headers (content type, client authentication). */
  readonly headers: Record<string, string>;
  /** The form-encoded (or JSON) body. */
  readonly body: string;
  /** Longest the call may take. */
  readonly timeoutMs: number;
  /** The HTTP client. */
  readonly fetch: typeof fetch;
  /** The clock `Retry-After` dates are read against, in epoch milliseconds. */
  readonly now: () => number;
  /** Makes the timeout signal of the call. */
  readonly timeoutSignal: (ms: number) => AbortSignal;
  /** The caller's own signal; its abort ends the call like a timeout. */
  readonly signal?: AbortSignal;
}

/** POSTs and returns the parsed answer; throws OAuthError for transport failures and unreadable answers. */
export async function postToProvider(options: PostOptions): Promise<ProviderResponse> {
  const timeout = options.timeoutSignal(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  let response: Response;
  let body: ReadResult;
  try {
    // A caller that aborted before the call gets the same answer as one that aborts during it, and nothing is sent.
    if (options.signal?.aborted)
      throw new OAuthError('timeout', 'The provider call was cancelled by the caller.', { notSent: true });
    response = await options.fetch(options.url, {
      method: 'POST',
      headers: { accept: 'application/json', ...options.headers },
      body: options.body,
      redirect: 'manual',
      signal,
    });
    // The same signal ends a body that trickles in: the timeout covers the whole exchange.
    body = await readLimited(response, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    // Checked on the signals, not on the error: a caller may abort with a reason of its own, which fetch rethrows.
    if (options.signal?.aborted) throw new OAuthError('timeout', 'The provider call was cancelled by the caller.');
    if (timeout.aborted || isTimeout(error))
      throw new OAuthError('timeout', `The provider did not answer within ${options.timeoutMs} ms.`);
    // The cause is kept for operators' logs; it is a transport error and holds no request body.
    const code = transportCode(error);
    throw new OAuthError('network', `The provider could not be reached${code ? ` (${code})` : ''}.`, {
      cause: sanitizeCause(error),
      notSent: code !== undefined && NOT_SENT_CODES.has(code),
    });
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.now());
  const base = { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  const json = body.tooLarge ? 'invalid' : parseJsonObject(body.text);
  if (json === 'invalid') {
    if (response.status === 429)
      throw new OAuthError('rate_limited', 'The provider is rate limiting requests (HTTP 429).', base);
    if (response.status >= 500)
      throw new OAuthError('server_error', `The provider answered HTTP ${response.status}.`, base);
    if (body.tooLarge) {
      throw new OAuthError(
        'invalid_response',
        `The provider answered HTTP ${response.status} with a body larger than ${MAX_BODY_BYTES} bytes.`,
        base,
      );
    }
    throw new OAuthError(
      'invalid_response',
      `The provider answered HTTP ${response.status} with a body that is not a JSON object.`,
      base,
    );
  }
  return { ...base, ...(json === undefined ? {} : { json }) };
}

/**
 * Turns an error answer into an OAuthError. The provider's code goes through the application's error-code map
 * first (GitHub's `bad_refresh_token` becomes `invalid_grant`); RFC 6749 §5.2 error codes are kept;
 * `rate_limited` (the seed's), `slow_down` and 429 become `rate_limited`; 5xx and
 * `temporarily_unavailable`/`server_error` become `server_error`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function errorFromResponse(
  response: ProviderResponse,
  what: string,
  errorCodes: Readonly<Record<string, ErrorCodeTarget>> = {},
): OAuthError {
  const raw = typeof response.json?.error === 'string' ? response.json.error : undefined;
  // A code outside RFC 6749's character set is not quoted anywhere (it could be a reflected value).
  // @see https://www.rfc-editor.org/rfc/rfc6749
  const ownCode = raw !== undefined && ERROR_CODE_PATTERN.test(raw) ? raw : undefined;
  const mapped = ownCode !== undefined && Object.hasOwn(errorCodes, ownCode) ? errorCodes[ownCode] : undefined;
  const code = mapped ?? ownCode;
  const details = {
    status: response.status,
    ...(code === undefined ? {} : { providerError: code }),
    ...(mapped === undefined || ownCode === mapped ? {} : { providerCode: ownCode }),
    ...(response.retryAfterMs === undefined ? {} : { retryAfterMs: response.retryAfterMs }),
  };
  const named = mapped === undefined || ownCode === mapped ? `${code}` : `${ownCode} (${mapped})`;
  if (response.status === 429 || code === 'rate_limited' || code === 'slow_down') {
    return new OAuthError('rate_limited', `The provider rate limited the ${what} (HTTP ${response.status}).`, details);
  }
  if (response.status >= 500 || code === 'temporarily_unavailable' || code === 'server_error') {
    return new OAuthError('server_error', `The provider failed the ${what} (HTTP ${response.status}).`, details);
  }
  if (code !== undefined) {
    return new OAuthError('oauth_error', `The provider refused the ${what}: ${named}.`, details);
  }
  return new OAuthError(
    'invalid_response',
    `The provider refused the ${what} (HTTP ${response.status}) without an OAuth error code.`,
    details,
  );
}

/**
 * RFC 6749 §5.2: `error` is 1*( %x20-21 / %x23-5B / %x5D-7E ); we also cap its length.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
const ERROR_CODE_PATTERN = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/;

type ReadResult = { readonly tooLarge: false; readonly text: string } | { readonly tooLarge: true };

/**
 * Reads the body chunk by chunk and stops (cancelling the stream, so the connection is not drained) as soon as
 * it exceeds `limit`: a provider or a proxy answering megabytes costs at most `limit` bytes of memory.
 */
export async function readLimited(response: Response, limit: number): Promise<ReadResult> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    return { tooLarge: true };
  }
  if (response.body === null) return { tooLarge: false, text: '' };
  // Bytes whatever the lib typings say: fetch bodies are streams of Uint8Array.
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > limit) {
      await reader.cancel();
      return { tooLarge: true };
    }
    chunks.push(value);
  }
  return { tooLarge: false, text: new TextDecoder().decode(Buffer.concat(chunks, received)) };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined | 'invalid' {
  if (text.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** Connection-phase failures: the request was never written to the provider. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// Duck-typed, not `instanceof`: fetch's errors may come from another realm (Jest's vm, undici's DOMException).
function transportCode(error: unknown): string | undefined {
  const inner = error !== null && typeof error === 'object' ? (error as { cause?: unknown }).cause : undefined;
  const code = inner !== null && typeof inner === 'object' && 'code' in inner ? inner.code : undefined;
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
