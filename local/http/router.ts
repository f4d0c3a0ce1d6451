/**
 * The local stack's HTTP router: a route table matched by method and path, request bodies read up to a limit, and
 * one JSON log line per request. It knows no route; the stack and the dashboard hand it theirs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVICE_NAME } from '@token-vault/cdk/src/definitions/metrics';
import { newRequestId } from '../lambda-api';
import { sendJson } from './respond';

/** Host the server (and everything it starts) listens on. Loopback only: the stack has no authentication. */
export const HOST = '127.0.0.1';
/** Largest request body accepted, in bytes (the vault's payloads are tiny); larger ones get 413. */
export const MAX_BODY_BYTES = 256 * 1024;

/** A request as a {@link LocalRoute} sees it. */
export interface LocalRequest {
  readonly raw: IncomingMessage;
  /** Parsed URL (path and query as received). */
  readonly url: URL;
  /** The match when the route's path is a RegExp. */
  readonly match: RegExpExecArray | undefined;
  /** Request id, also in the request's log line. */
  readonly requestId: string;
  /** Reads the body; more than {@link MAX_BODY_BYTES} rejects with {@link BodyTooLargeError} (answered 413). */
  body(): Promise<Buffer>;
  /** Writes a JSON log line (suppressed by `quiet`). Never pass tokens, codes, bodies or query strings. */
  log: LogFn;
}

/** One entry of the route table. */
export interface LocalRoute {
  /** HTTP method; GET routes also answer HEAD. */
  readonly method: string;
  /** Exact path, or a RegExp tested against the path. */
  readonly path: string | RegExp;
  handle(request: LocalRequest, res: ServerResponse): Promise<void>;
}

/** Rejection of {@link LocalRequest.body} for a body over {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** A JSON log line writer. */
export type LogFn = (level: 'INFO' | 'WARN' | 'ERROR', message: string, fields?: Record<string, unknown>) => void;

export async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  table: readonly LocalRoute[],
  log: LogFn,
): Promise<void> {
  const requestId = newRequestId();
  const started = Date.now();
  const method = req.method ?? 'GET';
  let url: URL;
  try {
    url = new URL(`http://${HOST}${req.url ?? '/'}`);
  } catch {
    sendJson(res, 400, { message: 'Bad Request' });
    return;
  }
  // Path only: query strings carry authorization codes and state.
  res.once('finish', () => {
    log('INFO', 'request', {
      method,
      path: url.pathname,
      status: res.statusCode,
      durationMs: Date.now() - started,
      requestId,
    });
  });

  try {
    if (table.length === 0) {
      sendJson(res, 503, { message: 'Service Unavailable' });
      return;
    }
    const found = findRoute(table, method, url.pathname);
    if (found === 'method_not_allowed') {
      sendJson(res, 405, { message: 'Method Not Allowed' });
      return;
    }
    if (!found) {
      sendJson(res, 404, { message: 'Not Found' });
      return;
    }
    await found.route.handle(
      { raw: req, url, match: found.match, requestId, body: () => readBody(req, MAX_BODY_BYTES), log },
      res,
    );
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        sendJson(res, 413, { message: 'Request Entity Too Large' });
      }
      return;
    }
    log('ERROR', 'request failed', { requestId, errorType: (err as Error).name, errorMessage: (err as Error).message });
    if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
    else res.destroy();
  }
}

interface RouteMatch {
  readonly route: LocalRoute;
  readonly match: RegExpExecArray | undefined;
}

function findRoute(
  table: readonly LocalRoute[],
  method: string,
  path: string,
): RouteMatch | 'method_not_allowed' | undefined {
  let pathMatched = false;
  for (const route of table) {
    const match = typeof route.path === 'string' ? (route.path === path ? undefined : null) : route.path.exec(path);
    if (match === null) continue;
    pathMatched = true;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, match };
  }
  return pathMatched ? 'method_not_allowed' : undefined;
}

/** Reads a request body up to `limit` bytes; beyond, drains the rest unbuffered and rejects. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(`body over ${limit} bytes`));
  }
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(`body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (!tooLarge) resolveBody(Buffer.concat(chunks));
    });
    req.once('error', reject);
  });
}

/** One JSON line on stdout, like the functions' Powertools logs. Never pass request bodies or query strings. */
export function writeLog(
  level: 'INFO' | 'WARN' | 'ERROR',
  message: string,
  fields: Record<string, unknown> = {},
): void {
  process.stdout.write(
    `${JSON.stringify({ level, message, service: `${SERVICE_NAME}-local`, timestamp: new Date().toISOString(), ...fields })}\n`,
  );
}
