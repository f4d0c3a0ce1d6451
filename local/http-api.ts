/**
 * API Gateway HTTP API (payload format 2.0) as the local stack serves it: a Node request becomes an
 * `APIGatewayProxyEventV2`, the handler's result becomes the HTTP answer.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './lambda-api';

/** Api id the local events carry. */
const LOCAL_API_ID = 'local';

/**
 * The event API Gateway would send for this request: headers lower-cased with repeated ones joined by commas,
 * the `Cookie` header moved into `cookies`, `queryStringParameters` decoded with repeated names joined by commas,
 * `rawQueryString` as received.
 */
export function toHttpApiEvent(
  req: IncomingMessage,
  url: URL,
  routeKey: string,
  requestId: string,
  body?: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (name === 'cookie') {
      cookies = cookies.concat(
        value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }

  const rawQueryString = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = name in query ? `${query[name]},${value}` : value;
  }

  const now = new Date();
  const domainName = headers.host ?? url.host;
  const hasBody = body !== undefined && body.length > 0;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    // Bodies are passed base64-encoded, as API Gateway does for anything it does not know to be text.
    ...(hasBody ? { body: body.toString('base64') } : {}),
    isBase64Encoded: hasBody,
  };
}

/**
 * Writes a handler's result as API Gateway does: a structured result (an object with `statusCode`) gives the
 * status, headers, `cookies` as `Set-Cookie` headers and the body (decoded when `isBase64Encoded`); anything
 * else is sent as a 200 JSON body.
 */
export function writeHttpApiResult(res: ServerResponse, result: unknown, requestId: string): void {
  if (!isStructured(result)) {
    const body = JSON.stringify(result) ?? 'null';
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'apigw-requestid': requestId,
    });
    res.end(body);
    return;
  }
  const body =
    result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  if (body.length > 0 && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  headers['content-length'] = String(body.length);
  headers['apigw-requestid'] = requestId;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

/** API Gateway's answer when the integration failed (the handler threw): 500 `{"message":"Internal Server Error"}`. */
export function writeHttpApiFailure(res: ServerResponse, requestId: string, status = 500): void {
  const body = JSON.stringify({ message: status === 503 ? 'Service Unavailable' : 'Internal Server Error' });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'apigw-requestid': requestId,
  });
  res.end(body);
}

function isStructured(value: unknown): value is APIGatewayProxyStructuredResultV2 & { statusCode: number } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { statusCode?: unknown }).statusCode === 'number'
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
function apiGatewayTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
