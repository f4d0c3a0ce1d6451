/**
 * A separate "Lambda container" for the refresh tests: builds its own Container from its environment (the
 * vault's function environment plus the emulator's endpoint), fires `concurrency` token-fetches at once and
 * reports one line `@@refresh-worker {"type":"result",...}` on stdout, with a SHA-256 of each token, never a
 * token. With `waitForGo` it first reports `ready` and waits for `go` on stdin, so that several workers start
 * their storm together. Everything else on stdout is the functions' own JSON logs.
 *
 * Run as `node --import tsx test/support/refresh-worker.ts` (one process, so SIGKILL reaches the caller itself).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { VaultError } from '@token-vault/cdk/functions/core/errors';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { Container } from '@token-vault/cdk/functions/runtime/container';

interface Task {
  readonly userId: string;
  readonly concurrency: number;
  readonly minValiditySeconds?: number;
  readonly waitForGo: boolean;
}

const PREFIX = '@@refresh-worker ';

function send(message: object, then?: () => void): void {
  process.stdout.write(`${PREFIX}${JSON.stringify(message)}\n`, then);
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    let input = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      input += chunk;
      if (input.includes('go')) resolve();
    });
    process.stdin.on('end', () => resolve());
  });
}

async function main(): Promise<void> {
  const task = JSON.parse(process.env.REFRESH_WORKER_TASK ?? '{}') as Task;
  const container = new Container(process.env);
  // What a cold start builds; the AWS calls themselves happen in the storm, as in a fresh container.
  const tokens = container.tokens();
  if (task.waitForGo) {
    send({ type: 'ready' });
    await waitForGo();
  }
  const results = await Promise.all(
    Array.from({ length: task.concurrency }, async () => {
      const started = performance.now();
      try {
        const token = await tokens.fetch(
          { userId: task.userId, applicationId: 'default', minValiditySeconds: task.minValiditySeconds ?? 60 },
          Deadline.fromRemaining(FUNCTIONS.tokenFetch.timeoutSeconds * 1000, SYSTEM_CLOCK),
        );
        return {
          ok: true,
          tokenSha256: createHash('sha256').update(token.accessToken).digest('hex'),
          ms: performance.now() - started,
        };
      } catch (error) {
        return {
          ok: false,
          code: error instanceof VaultError ? error.code : 'unexpected',
          ms: performance.now() - started,
        };
      }
    }),
  );
  // The SDK's keep-alive sockets would hold the process open: exit once the line is out.
  send({ type: 'result', results }, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`refresh-worker failed: ${error instanceof Error ? error.name : 'error'}\n`);
  process.exit(1);
});
