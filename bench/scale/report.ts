/**
 * The scale run's section of the bench table: seeding, the sweep's rates, the emulator's ceiling, the worker levels
 * with their ratios to one worker and the emulator's busy share, and the provider's view (one grant per refresh,
 * no reuse).
 */
import { cpus } from 'node:os';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import type { Figure, Section } from '../report';
import type { SweepFigures } from './sweep';
import type { LevelFigures } from './workers';

export interface ScaleFigures {
  readonly n: number;
  readonly seed: { readonly totalMs: number; readonly kmsMs: number; readonly writeMs: number };
  readonly sweep: SweepFigures;
  /** Pure emulator throughput: several workers, batches of 10, provider answering at once. */
  readonly ceiling: LevelFigures;
  readonly emulatorMsPerRefresh: number;
  readonly levels: readonly LevelFigures[];
  /** DynamoDB size of a connection item after a proactive refresh. */
  readonly itemBytes: number;
  /** The sweep's AWS call budget, and its pass's deadline, in the emulator. */
  readonly sweepCallMs: number;
  readonly sweepDeadlineMs: number;
  /** 1-minute load average of the machine at the start and the end of the run (other work slows moto). */
  readonly loadAverage: readonly [number, number];
}

/** AWS calls per refreshed connection, by service prefix, over the worker levels. */
export function callsPerRefresh(levels: readonly LevelFigures[], service: string): number {
  const refreshed = levels.reduce((s, l) => s + (l.outcomes.refreshed ?? 0), 0);
  const calls = levels.reduce(
    (s, l) => s + Object.entries(l.calls).reduce((t, [name, n]) => (name.startsWith(`${service}.`) ? t + n : t), 0),
    0,
  );
  return refreshed === 0 ? Number.NaN : calls / refreshed;
}

/** Throughput at `workers` over throughput at `base` workers. */
export function ratio(levels: readonly LevelFigures[], base: number, workers: number): number {
  const of = (w: number) => levels.find((l) => l.workers === w)?.perSecond ?? Number.NaN;
  return of(workers) / of(base);
}

export function scaleSection(f: ScaleFigures): Section {
  const all = [f.ceiling, ...f.levels];
  const grants = all.reduce((s, l) => s + l.provider.refreshGrants, 0);
  const refreshed = all.reduce((s, l) => s + (l.outcomes.refreshed ?? 0), 0);
  const reuses = all.reduce((s, l) => s + l.provider.reuseDetected, 0);
  const maxPerAccount = Math.max(...all.map((l) => l.provider.maxGrantsPerAccount));
  const messages = all.reduce((s, l) => s + l.messages, 0);
  const sweepSeconds = f.sweep.totalMs / 1000;
  const levelRows: Figure[] = f.levels.map((l) => ({
    label: `${l.workers} worker(s) x 1 in flight, provider ${l.providerMs} ms: refreshes/s (${l.messages} messages)`,
    on: l.perSecond,
    digits: 1,
  }));
  const ratios: Figure[] = f.levels.slice(1).map((l) => ({
    label: `ratio 1 -> ${l.workers} workers (ideal ${l.workers})`,
    on: ratio(f.levels, 1, l.workers),
    digits: 2,
    ...(l.workers === 4 ? { target: 'grows (> 1)', met: ratio(f.levels, 1, 4) > 1 } : {}),
  }));
  const busy: Figure[] = f.levels.map((l) => ({
    label: `emulator busy share at ${l.workers} worker(s) (refreshes/s / ceiling)`,
    on: (100 * l.perSecond) / f.ceiling.perSecond,
    digits: 0,
  }));
  return {
    title: `scale: ${f.n.toLocaleString('en-US')} connections due at once in the emulator, stub provider (rotation + reuse detection), policy used`,
    off: '-',
    figures: [
      {
        label: `seeding: ${f.n} sealed connections (s; 1 GenerateDataKey each + BatchWriteItem)`,
        on: f.seed.totalMs / 1000,
        digits: 1,
      },
      { label: 'seeding: connections per second', on: f.n / (f.seed.totalMs / 1000), digits: 0 },
      { label: 'seeding: GenerateDataKey busy time (s)', on: f.seed.kmsMs / 1000, digits: 1 },
      { label: 'seeding: BatchWriteItem busy time (s)', on: f.seed.writeMs / 1000, digits: 1 },
      {
        label: 'sweep: due items found per second (index query busy time)',
        on: f.sweep.found / (f.sweep.queryMs / 1000),
        digits: 0,
      },
      {
        label: 'sweep: messages enqueued per second (SendMessageBatch busy time)',
        on: f.sweep.enqueued / (f.sweep.sendMs / 1000),
        digits: 0,
      },
      { label: `sweep: all ${f.n} found and enqueued (s, wall)`, on: sweepSeconds, digits: 1 },
      {
        label: `sweep: that pass as a share of the function's ${FUNCTIONS.sweep.timeoutSeconds} s timeout (%)`,
        on: (100 * sweepSeconds) / FUNCTIONS.sweep.timeoutSeconds,
      },
      {
        label: 'sweep: due items enqueued (all seeded connections)',
        on: f.sweep.enqueued,
        target: String(f.n),
        met: f.sweep.enqueued === f.n,
      },
      {
        label: `emulator ceiling: refreshes/s (${f.ceiling.workers} workers x ${f.ceiling.batchSize}, provider 0 ms)`,
        on: f.ceiling.perSecond,
        digits: 1,
      },
      { label: 'emulator time per refresh (ms, 1 / ceiling)', on: f.emulatorMsPerRefresh, digits: 1 },
      ...levelRows,
      ...ratios,
      ...busy,
      {
        label: `provider grants per refresh (${refreshed} refreshed of ${messages} messages)`,
        on: grants / refreshed,
        digits: 3,
        target: '1',
        met: grants === refreshed && refreshed === messages,
      },
      { label: 'provider grants per connection, most', on: maxPerAccount, target: '1', met: maxPerAccount === 1 },
      { label: 'refresh-token reuses detected by the provider', on: reuses, target: '0', met: reuses === 0 },
      { label: 'KMS calls per proactive refresh (worker, cold cache)', on: callsPerRefresh(all, 'KMS'), digits: 2 },
      { label: 'DynamoDB calls per proactive refresh (worker)', on: callsPerRefresh(all, 'DynamoDB'), digits: 2 },
      { label: 'connection item after a refresh (bytes, DynamoDB size)', on: f.itemBytes },
    ],
    notes: [
      `scale: moto serves one request at a time (local/moto_server.py serialises them so conditional writes stay atomic): measured ceiling ${f.ceiling.perSecond.toFixed(1)} refreshes/s ` +
        `(${f.emulatorMsPerRefresh.toFixed(1)} ms of emulator time per refresh: ${callsPerRefresh([f.ceiling], 'DynamoDB').toFixed(1)} DynamoDB + ${callsPerRefresh([f.ceiling], 'KMS').toFixed(1)} KMS calls + the SQS receive/delete share). ` +
        `The levels run with the provider at 16 x that (250 ms to 1 s) and 1 message in flight per worker, so the provider's latency dominates; the busy share ` +
        '(throughput / ceiling) says how close the emulator came to being the bottleneck, which flattens the ratios. In AWS the table and KMS have no such ceiling.',
      `scale: the sweep's rates are moto's (each index Query filters the whole table: O(items) per page); a due-index page in AWS takes tens of ms. ` +
        `Sweep over ${f.sweep.found} due items: ${(f.sweep.queryMs / 1000).toFixed(1)} s reading the index, ${(f.sweep.sendMs / 1000).toFixed(1)} s sending; ` +
        `one pass with a ${f.sweepDeadlineMs / 1000}-s deadline (the function has ${FUNCTIONS.sweep.timeoutSeconds} s: in moto about 16,000 items, and the next invocation starts again from the oldest, still due until refreshed), each emulator call given one attempt of ${f.sweepCallMs / 1000} s (the deployed sweep gives 2 s in three attempts: a Query of a 1,000-item page is tens of ms in AWS, about a second in moto at 20,000 items).`,
      `scale: machine load average (1 min) ${f.loadAverage[0].toFixed(1)} at the start, ${f.loadAverage[1].toFixed(1)} at the end of the run, on ${cpus().length} cores: the emulator's figures scale with the CPU it gets.`,
      'scale: each worker is its own container (SDK clients, data-key cache), all in this one Node.js process on the same 2 cores as moto; every seeded connection has its own data key (KMS encryption context per row), so a worker refresh needs one Decrypt and no GenerateDataKey (key reuse).',
    ],
  };
}
