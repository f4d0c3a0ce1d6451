/**
 * A stand-in for Lambda's Runtime API (the HTTP interface between the runtime client and the Lambda service), so
 * that a child pays the runtime's own part of a cold start: its HTTP client, `GET …/invocation/next` for the
 * event and `POST …/response` with the answer. Serves one event at a time (the bench runs one child at a time).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const PREFIX = '/2018-06-01/runtime/invocation/';

export interface RuntimeApi {
  /** `host:port`, the value of AWS_LAMBDA_RUNTIME_API. */
  readonly address: string;
  /** The event (JSON) that the next `GET …/next` answers, and the function's timeout for the deadline header. */
  serve(eventJson: string, timeoutMs: number): void;
  /** Errors the children reported through `POST …/error` since the last call. */
  takeErrors(): string[];
  close(): Promise<void>;
}

export async function startRuntimeApi(): Promise<RuntimeApi> {
  let event = '{}';
  let timeoutMs = 3000;
  let invocations = 0;
  let errors: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === `${PREFIX}next`) {
        invocations += 1;
        res.writeHead(200, {
          'content-type': 'application/json',
          'lambda-runtime-aws-request-id': `bench-${invocations}`,
          'lambda-runtime-deadline-ms': String(Date.now() + timeoutMs),
          'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:bench',
        });
        res.end(event);
        return;
      }
      if (req.method === 'POST' && req.url?.startsWith(PREFIX)) {
        if (req.url.endsWith('/error')) errors.push(body.slice(0, 500));
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"OK"}');
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    serve(eventJson, timeout) {
      event = eventJson;
      timeoutMs = timeout;
    },
    takeErrors() {
      const taken = errors;
      errors = [];
      return taken;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
