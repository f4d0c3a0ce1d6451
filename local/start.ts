/**
 * `npm start`: runs the local stack on `PORT` (default 3000) until SIGINT or SIGTERM. Prints one line containing
 * `ready` and the base URL when it serves requests; everything else on stdout is JSON log lines.
 */
import { LocalConfigError } from './config';
import { DEFAULT_PORT, startLocalStack, type LocalStack } from './server';

function readPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LocalConfigError('PORT must be an integer from 0 to 65535');
  }
  return port;
}

function describeProvider(stack: LocalStack): string {
  if (stack.devProvider) return `built-in development provider at ${stack.devProvider.issuer}`;
  const app = stack.applications[0];
  return app ? `${new URL(app.authorizeUrl).origin} (client ${app.clientId})` : 'none';
}

/** Seconds between scheduled sweeps (`LOCAL_SWEEP_SECONDS`, default 60; 0: no schedule). */
function readSweepSeconds(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 60;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600)
    throw new LocalConfigError('LOCAL_SWEEP_SECONDS must be an integer from 0 to 3600');
  return seconds;
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    port: readPort(process.env.PORT),
    refreshWork: { worker: true, sweepSeconds: readSweepSeconds(process.env.LOCAL_SWEEP_SECONDS) },
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal while stopping: give up waiting.
      process.exit(1);
    }
    stopping = true;
    stack.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`token-vault local stack: error while stopping after ${signal}: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  process.stdout.write(`token-vault local stack ready at ${stack.baseUrl} (provider: ${describeProvider(stack)})\n`);
}

main().catch((err: unknown) => {
  // Configuration errors are for the user: the message says what to fix, a stack trace would only hide it.
  const text =
    err instanceof LocalConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`token-vault local stack failed to start: ${text}\n`);
  process.exit(1);
});
