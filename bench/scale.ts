/**
 * `npm run bench -- scale`: the fan-out at scale in the emulator. Seeds `SCALE_CONNECTIONS` (default 20,000) due
 * connections (bench/scale/seed.ts), times one sweep over all of them (bench/scale/sweep.ts), then the refresh
 * worker (bench/scale/workers.ts) against a stub provider with rotation and reuse detection:
 * 1. the emulator's ceiling: 2 workers, batches of 10, provider answering at once (pure emulator throughput);
 * 2. worker concurrency 1, 2, 4, 8 with 1 message per batch and the provider's latency set to 16 x the emulator's
 *    time per refresh (250 ms to 1 s), so the provider's latency dominates and the single-threaded emulator stays
 *    near half its ceiling at 8 workers: the ratios then measure the fan-out, not moto.
 * The report is bench/scale/report.ts; the worker figures feed the capacity model (bench/capacity.ts).
 */
import { loadavg } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { keyOf } from '@token-vault/cdk/functions/core/store/codec';
import { logger } from '@token-vault/cdk/functions/runtime/powertools';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { TUNABLES } from '@token-vault/cdk/src/definitions/tunables';
import { awsClientConfig } from '../local/aws-clients';
import { itemBytes } from './cost-model/item-size';
import type { Section } from './report';
import { startStubProvider } from './scale/provider';
import { scaleSection, type ScaleFigures } from './scale/report';
import { seedConnections } from './scale/seed';
import { measureSweep } from './scale/sweep';
import { measureLevel, type LevelFigures } from './scale/workers';
import type { BenchStack } from './stack';

export const LEVELS = [1, 2, 4, 8] as const;
/** The emulator's ceiling: enough refreshes in flight to keep moto busy, few enough that its queue stays within the SDK's per-attempt timeout. */
const CEILING = { workers: 2, batchSize: 10 } as const;
/** The sweep's AWS call budget in the emulator (see SweepMeasureOptions.awsCallMs). */
const SWEEP_CALL_MS = 120_000;
/**
 * The sweep pass's deadline in the emulator: one pass over all due connections. The deployed sweep has 60 s; in
 * moto that reads about two rounds of the 8 shards' 1,000-item pages (16,000 items), and the next invocation starts
 * again from the oldest, which are still due until the workers refresh them.
 */
const SWEEP_DEADLINE_MS = 600_000;

/**
 * The provider latency of the levels: 16 x the emulator's time per refresh, so that 8 workers keep it about half
 * busy, but at least 250 ms (a real provider's) and at most 1 s (the run's length grows with it).
 */
export function levelProviderMs(emulatorMsPerRefresh: number): number {
  return Math.min(1000, Math.max(250, Math.round(16 * emulatorMsPerRefresh)));
}

/** The functions' metrics (EMF on stdout) and logs off while the scale run works: stdout is the table's. */
function quiet(): () => void {
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  const level = logger.getLevelName();
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  logger.setLogLevel('SILENT');
  return () => {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
    logger.setLogLevel(level);
  };
}

const measured = new WeakMap<BenchStack, ScaleFigures>();

/** The scale run's figures, when it ran on this stack (the capacity model prefers them). */
export function scaleFigures(stack: BenchStack): ScaleFigures | undefined {
  return measured.get(stack);
}

export async function measureScale(stack: BenchStack): Promise<Section> {
  const n = Number(process.env.SCALE_CONNECTIONS ?? 20_000);
  const perWorker = Number(process.env.SCALE_MESSAGES_PER_WORKER ?? 30);
  const ceilingMessages = Number(process.env.SCALE_CEILING_MESSAGES ?? 200);
  const needed = ceilingMessages + perWorker * LEVELS.reduce((a, b) => a + b, 0);
  if (n < needed) throw new Error(`scale: SCALE_CONNECTIONS must be at least ${needed} for the worker levels`);
  const stub = await startStubProvider();
  const restore = quiet();
  const load = loadavg()[0]!;
  const endpoint = process.env.AWS_ENDPOINT_URL;
  const sqs = new SQSClient(awsClientConfig(endpoint));
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(endpoint)));
  try {
    // The functions' environment with the `default` application's token endpoint at the stub.
    const applications = (JSON.parse(stack.env[ENV.APPLICATIONS]!) as Array<Record<string, unknown>>).map((a) =>
      a.applicationId === 'default' ? { ...a, tokenUrl: stub.tokenUrl } : a,
    );
    const newContainer = () => stack.newContainer({ [ENV.APPLICATIONS]: JSON.stringify(applications) });
    const table = stack.env[ENV.CONNECTIONS_TABLE]!;
    const prefix = `scale${Date.now().toString(36)}`;

    process.stderr.write(`bench: scale: seeding ${n} connections...\n`);
    const seeded = await seedConnections(newContainer(), doc, stub, { n, prefix, applicationId: 'default', table });
    process.stderr.write(`bench: scale: seeded in ${(seeded.totalMs / 1000).toFixed(1)} s; sweeping...\n`);
    const sweep = await measureSweep(sqs, {
      n,
      queueName: `${prefix}-sweep-probe`,
      tableName: table,
      horizonMs: TUNABLES.sweepLookaheadSeconds.default * 1000,
      awsCallMs: SWEEP_CALL_MS,
      deadlineMs: SWEEP_DEADLINE_MS,
    });

    let offset = 0;
    const take = (count: number) => seeded.keys.slice(offset, (offset += count));
    const level = (workers: number, batchSize: number, providerMs: number, count: number): Promise<LevelFigures> =>
      measureLevel(sqs, stub, {
        workers,
        batchSize,
        providerMs,
        keys: take(count),
        queueName: `${prefix}-w${workers}-b${batchSize}`,
        newContainer,
      }).then((figures) => {
        process.stderr.write(
          `bench: scale: ${workers} worker(s) x ${batchSize}, provider ${providerMs} ms: ${figures.perSecond.toFixed(1)} refreshes/s, ${figures.provider.refreshGrants} grants, ${figures.provider.reuseDetected} reuses\n`,
        );
        return figures;
      });
    const ceiling = await level(CEILING.workers, CEILING.batchSize, 0, ceilingMessages);
    const emulatorMsPerRefresh = 1000 / ceiling.perSecond;
    const providerMs = levelProviderMs(emulatorMsPerRefresh);
    const levels: LevelFigures[] = [];
    for (const workers of LEVELS) levels.push(await level(workers, 1, providerMs, perWorker * workers));

    // The real item after a proactive refresh (the cost model's write units come from its size).
    const refreshedKey = seeded.keys[ceilingMessages]!;
    const refreshed = await doc.send(
      new GetCommand({ TableName: table, Key: keyOf(refreshedKey), ConsistentRead: true }),
    );
    const figures: ScaleFigures = {
      n,
      seed: { totalMs: seeded.totalMs, kmsMs: seeded.kmsMs, writeMs: seeded.writeMs },
      sweep,
      ceiling,
      emulatorMsPerRefresh,
      levels,
      itemBytes: itemBytes(refreshed.Item ?? seeded.sample),
      sweepCallMs: SWEEP_CALL_MS,
      sweepDeadlineMs: SWEEP_DEADLINE_MS,
      loadAverage: [load, loadavg()[0]!],
    };
    measured.set(stack, figures);
    return scaleSection(figures);
  } finally {
    sqs.destroy();
    doc.destroy();
    await stub.stop();
    restore();
  }
}
