/**
 * Counts and times the SDK calls of a container's clients, per service: one count per `send` (SDK retries not
 * included), the wall time of whole sends (marshalling, signing, HTTP round trip, parsing) and of the HTTP
 * round trips alone (innermost middleware, around the request handler). Timings are sums: meaningful for
 * sequential calls, which is how the warm loop runs.
 */
import { performance } from 'node:perf_hooks';
import type { Container } from '@token-vault/cdk/functions/runtime/container';

type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;

interface CountableClient {
  middlewareStack: {
    add(
      middleware: Middleware,
      options: { step: 'initialize' | 'deserialize'; name: string; priority?: 'high' | 'normal' | 'low' },
    ): void;
  };
}

export type AwsService = 'DynamoDB' | 'KMS' | 'SecretsManager';

export interface AwsCallCounter {
  /** Calls per `Service.CommandName` since the last reset. */
  readonly calls: Record<string, number>;
  of(service: AwsService): number;
  /** Milliseconds spent inside `send` (all services) since the last reset. */
  sendMs(): number;
  /**
   * Milliseconds spent inside the clients' `send()` calls (document client included), outermost only: also
   * counts the SDK's per-call work that runs before the first middleware (command wrapping, resolving the
   * middleware stack).
   */
  wholeSendMs(): number;
  /** Milliseconds spent in HTTP round trips (request handler, all services) since the last reset. */
  httpMs(): number;
  reset(): void;
}

export function countAwsCalls(container: Container): AwsCallCounter {
  const calls: Record<string, number> = {};
  const time = { send: 0, http: 0, whole: 0 };
  let depth = 0;
  const wrapSend = (client: { send: (...args: unknown[]) => Promise<unknown> }): void => {
    const original = client.send.bind(client);
    client.send = (...args: unknown[]) => {
      if (depth > 0) return original(...args);
      depth++;
      const started = performance.now();
      return original(...args).finally(() => {
        depth--;
        time.whole += performance.now() - started;
      });
    };
  };
  const timed =
    (key: 'send' | 'http'): Middleware =>
    (next) =>
    async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        time[key] += performance.now() - started;
      }
    };
  const watch = (service: AwsService, client: CountableClient): void => {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = `${service}.${context.commandName ?? 'unknown'}`;
        calls[name] = (calls[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: `bench-count-${service}`, priority: 'high' },
    );
    client.middlewareStack.add(timed('send'), {
      step: 'initialize',
      name: `bench-send-time-${service}`,
      priority: 'high',
    });
    client.middlewareStack.add(timed('http'), {
      step: 'deserialize',
      name: `bench-http-time-${service}`,
      priority: 'low',
    });
  };
  watch('DynamoDB', container.dynamoDbClient() as unknown as CountableClient);
  watch('DynamoDB', container.dynamoDbReadClient() as unknown as CountableClient);
  watch('KMS', container.kmsClient() as unknown as CountableClient);
  watch('SecretsManager', container.secretsManagerClient() as unknown as CountableClient);
  type Sender = { send: (...args: unknown[]) => Promise<unknown> };
  wrapSend(container.dynamoDbClient() as unknown as Sender);
  wrapSend(container.dynamoDbReadClient() as unknown as Sender);
  wrapSend(container.kmsClient() as unknown as Sender);
  wrapSend(container.secretsManagerClient() as unknown as Sender);
  // The document client the stores use (private in Container: reached at runtime, for the bench only).
  wrapSend((container as unknown as { documentClient: () => Sender }).documentClient());
  return {
    calls,
    of: (service) =>
      Object.entries(calls).reduce((sum, [name, n]) => (name.startsWith(`${service}.`) ? sum + n : sum), 0),
    sendMs: () => time.send,
    httpMs: () => time.http,
    wholeSendMs: () => time.whole,
    reset: () => {
      for (const name of Object.keys(calls)) delete calls[name];
      time.send = 0;
      time.http = 0;
      time.whole = 0;
    },
  };
}
