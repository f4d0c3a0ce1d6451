/**
 * `npm run bench -- scale`: the fan-out's throughput in the emulator. Connects `SCALE_CONNECTIONS` users (default
 * 200) through the development provider, then per worker concurrency (1, 2, 4, 8 event-source pollers, each its
 * own "Lambda container"): makes every connection due, runs one sweep (enqueue only) and times the workers until
 * the queue is empty, with the provider answering after `SCALE_PROVIDER_MS` (default 300 ms) so that the provider's
 * latency, not the single-threaded emulator, dominates. Reported as refreshes per second and the ratio to one
 * worker; the provider must see exactly one refresh per connection and level.
 */
import { performance } from 'node:perf_hooks';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import { sweepDue } from '@token-vault/cdk/functions/core/refresh/sweep';
import { workBatch } from '@token-vault/cdk/functions/core/refresh/worker';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { SqsWorkQueue } from '@token-vault/cdk/functions/runtime/sqs-work-queue';
import type { SQSEvent } from 'aws-lambda';
import { awsClientConfig } from '../local/aws-clients';
import { RefreshWork } from '../local/refresh-work';
import type { Section } from './report';
import type { BenchStack } from './stack';

const LEVELS = [1, 2, 4, 8] as const;

export async function measureScale(stack: BenchStack): Promise<Section> {
  const n = Number(process.env.SCALE_CONNECTIONS ?? 200);
  const providerMs = Number(process.env.SCALE_PROVIDER_MS ?? 300);
  // Records per worker batch: 1 keeps the emulator far from its ceiling, so the ratio measures the fan-out.
  const batchSize = Number(process.env.SCALE_BATCH ?? 1);
  const env = { [ENV.PROACTIVE_REFRESH]: 'all' };
  const users = Array.from({ length: n }, (_, i) => `scale-${i}`);
  const connectStarted = performance.now();
  for (const userId of users) await stack.connectUser(userId);
  const connectMs = performance.now() - connectStarted;

  const sqs = new SQSClient(awsClientConfig(process.env.AWS_ENDPOINT_URL));
  const queueUrl = stack.env[ENV.REFRESH_QUEUE_URL]!;
  const sweeper = stack.newContainer(env);
  const queue = new SqsWorkQueue(sqs, queueUrl, sweeper.timing.awsCallMs);
  const horizonMs = millis(sweeper.tunables, 'sweepLookaheadSeconds');
  const results: Array<{ level: number; perSecond: number; sweepMs: number; grants: number }> = [];
  try {
    await stack.provider.injectFault({ endpoint: 'token', mode: 'slow', delayMs: providerMs, count: 1_000_000 });
    for (const level of LEVELS) {
      for (const userId of users) await stack.ageAccessToken(userId, 60_000);
      await stack.provider.resetStats();
      const sweepStarted = performance.now();
      const swept = await sweepDue(sweeper.connections(), queue, {
        horizonMs,
        deadline: Deadline.fromRemaining(FUNCTIONS.sweep.timeoutSeconds * 1000, SYSTEM_CLOCK),
        awsCallMs: sweeper.timing.awsCallMs,
        maxItems: n,
      });
      const sweepMs = performance.now() - sweepStarted;
      if (swept.enqueued !== n) throw new Error(`scale: the sweep enqueued ${swept.enqueued} of ${n}`);
      // One container per poller, as Lambda runs one batch per execution environment.
      const pollers = Array.from({ length: level }, () => {
        const container = stack.newContainer(env);
        const coordinator = container.coordinator();
        const revocation = container.revocation();
        return new RefreshWork({
          sqs,
          queueUrl,
          batchSize,
          sweep: () => Promise.resolve(undefined),
          worker: async (event) => {
            const records = (event as SQSEvent).Records.map((r) => ({ messageId: r.messageId, body: r.body }));
            const result = await workBatch(
              records,
              {
                refreshIfDue: (key, h, d) => coordinator.refreshIfDue(key, h, d),
                retryRevocation: (u, k, d) => revocation.retryRevocation(u, k, d),
              },
              {
                horizonMs,
                deadline: Deadline.fromRemaining(FUNCTIONS.refreshWorker.timeoutSeconds * 1000, SYSTEM_CLOCK),
                timing: container.timing,
              },
            );
            return { batchItemFailures: result.failed.map((itemIdentifier) => ({ itemIdentifier })) };
          },
        });
      });
      const started = performance.now();
      await Promise.all(pollers.map((work) => work.drain()));
      const elapsed = (performance.now() - started) / 1000;
      const grants = (await stack.provider.stats()).refreshGrants;
      results.push({ level, perSecond: n / elapsed, sweepMs, grants });
      process.stderr.write(
        `bench: scale: ${level} worker(s): ${(n / elapsed).toFixed(1)} refreshes/s, ${grants} provider refreshes\n`,
      );
    }
  } finally {
    await stack.provider.clearFaults();
    sqs.destroy();
  }
  const base = results[0]!.perSecond;
  return {
    title: `scale: ${n} connections due at once, worker concurrency ${LEVELS.join(', ')} (pollers, one container each, batches of ${batchSize}), provider ${providerMs} ms`,
    off: '-',
    figures: [
      ...results.map((r) => ({
        label: `${r.level} worker(s): refreshes/s (ratio to 1 worker)`,
        on: r.perSecond,
        off: r.perSecond / base,
        digits: 1,
      })),
      ...results.map((r) => ({
        label: `${r.level} worker(s): provider refreshes per connection`,
        on: r.grants / n,
        digits: 2,
        target: '1',
        met: r.grants === n,
      })),
      { label: 'sweep: enqueue all due (ms, last level)', on: results.at(-1)!.sweepMs, digits: 0 },
      { label: `seeding: connect ${n} users (s)`, on: connectMs / 1000, digits: 1 },
    ],
    notes: [
      'scale: the emulator (moto) serves one request at a time (local/moto_server.py): about 150-250 DynamoDB calls/s, a refresh costs 3 DynamoDB calls and an SQS share, so the ratio flattens once the emulator is busy; the "off" column here is the ratio to one worker.',
    ],
  };
}
