/**
 * Records the AWS requests each vault function sends, by function: the HTTP requests themselves (their
 * `X-Amz-Target` and JSON body), so what is seen is what IAM would authorize, whatever client, command or module
 * copy sent it. A request is attributed to the function whose handler call it runs inside (AsyncLocalStorage);
 * requests sent outside one (the test's own setup) are not recorded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type * as Http from 'node:http';

// The module object itself (not an import namespace, whose members are read-only getters): the SDK reads
// `request` from it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const http = require('node:http') as typeof Http;

/** One AWS request: the service's operation (`DynamoDB_20120810.GetItem`) and its parsed JSON body. */
export interface AwsRequest {
  readonly target: string;
  readonly body: Record<string, unknown>;
}

export class AwsRequestRecorder {
  readonly #current = new AsyncLocalStorage<string>();
  readonly #requests = new Map<string, AwsRequest[]>();
  #restore: (() => void) | undefined;

  /** Patches `http.request` (the SDK's Node handler takes it when its first request is sent: install first). */
  install(): void {
    const module = http as unknown as { request: typeof Http.request };
    const original = module.request;
    const record = (subject: string, target: string, chunks: Buffer[]): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        // Not a JSON protocol request: the target alone is recorded.
      }
      const list = this.#requests.get(subject) ?? [];
      list.push({ target, body });
      this.#requests.set(subject, list);
    };
    module.request = ((...args: Parameters<typeof Http.request>) => {
      const req = (original as (...a: unknown[]) => Http.ClientRequest)(...args);
      const subject = this.#current.getStore();
      const options = args[0] as Http.RequestOptions;
      const headers = Object.fromEntries(
        Object.entries(options?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
      );
      const target = headers['x-amz-target'];
      if (subject === undefined || target === undefined) return req;
      const chunks: Buffer[] = [];
      const write = req.write.bind(req);
      const end = req.end.bind(req);
      const keep = (chunk: unknown): void => {
        if (typeof chunk === 'string' || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
      };
      req.write = ((chunk: unknown, ...rest: unknown[]) => {
        keep(chunk);
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof req.write;
      req.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk !== 'function') keep(chunk);
        record(subject, target, chunks);
        return (end as (...a: unknown[]) => Http.ClientRequest)(chunk, ...rest);
      }) as typeof req.end;
      return req;
    }) as typeof Http.request;
    this.#restore = () => {
      module.request = original;
    };
  }

  uninstall(): void {
    this.#restore?.();
    this.#restore = undefined;
  }

  /** Runs `call` as `subject` (a function key): the AWS requests it sends are that function's. */
  as<T>(subject: string, call: () => T): T {
    return this.#current.run(subject, call);
  }

  /** Wraps every function of `handlers` (by key) so that its requests are recorded under its key. */
  attribute<H extends object>(handlers: H): void {
    for (const [key, handler] of Object.entries(handlers) as [string, unknown][]) {
      if (typeof handler !== 'function') continue;
      (handlers as Record<string, unknown>)[key] = (...args: unknown[]) =>
        this.as(key, () => (handler as (...a: unknown[]) => unknown)(...args));
    }
  }

  /** The requests recorded for `subject`. */
  requests(subject: string): readonly AwsRequest[] {
    return this.#requests.get(subject) ?? [];
  }
}
