/** Counts the SDK calls of a container's clients (one per `send`; SDK retries not included), per service. */
import type { Container } from '../functions/runtime/container';

interface CountableClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

export type AwsService = 'DynamoDB' | 'KMS' | 'SecretsManager';

export interface AwsCallCounter {
  /** Calls per `Service.CommandName` since the last reset. */
  readonly calls: Record<string, number>;
  of(service: AwsService): number;
  reset(): void;
}

export function countAwsCalls(container: Container): AwsCallCounter {
  const calls: Record<string, number> = {};
  const watch = (service: AwsService, client: CountableClient): void =>
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = `${service}.${context.commandName ?? 'unknown'}`;
        calls[name] = (calls[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: `bench-count-${service}` },
    );
  watch('DynamoDB', container.dynamoDbClient() as unknown as CountableClient);
  watch('KMS', container.kmsClient() as unknown as CountableClient);
  watch('SecretsManager', container.secretsManagerClient() as unknown as CountableClient);
  return {
    calls,
    of: (service) => Object.entries(calls).reduce((sum, [name, n]) => (name.startsWith(`${service}.`) ? sum + n : sum), 0),
    reset: () => {
      for (const name of Object.keys(calls)) delete calls[name];
    },
  };
}
