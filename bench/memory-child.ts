/**
 * The process of the memory figure (bundled with BUNDLING and run by bench/memory.ts in a fresh `node`): one
 * container, token-fetch's core without metrics or logs, BENCH_FETCHES warm fetches of BENCH_USER's token;
 * prints the peak RSS. BENCH_CACHES=off disables the caches (DataKeyCache, client-secret max age).
 */
import { readFileSync } from 'node:fs';
import { tokenFetchRequestSchema } from '@token-vault/cdk/functions/contract/requests';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { tokenAnswer } from '@token-vault/cdk/functions/runtime/token-answer';
import { benchTokenService, fetchDeadline } from './token-service';

async function main(): Promise<void> {
  const caches = process.env.BENCH_CACHES !== 'off';
  const fetches = Number(process.env.BENCH_FETCHES ?? '2000');
  const container = new Container();
  const tokens = benchTokenService(container, { caches });
  const event = { userId: process.env.BENCH_USER, applicationId: 'default' };
  const rssAfterInitKiB = process.memoryUsage().rss / 1024;
  for (let i = 0; i < fetches; i++) {
    const answer = {
      ok: true,
      ...tokenAnswer(await tokens.fetch(tokenFetchRequestSchema.parse(event), fetchDeadline())),
    };
    if (!answer.accessToken) throw new Error('no token');
  }
  const status = readFileSync('/proc/self/status', 'utf8');
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  const result = {
    maxRssKiB: process.resourceUsage().maxRSS,
    vmHwmKiB: hwm ? Number(hwm[1]) : null,
    rssAfterInitKiB,
    rssEndKiB: process.memoryUsage().rss / 1024,
  };
  process.stdout.write(`\nBENCH_RESULT ${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
