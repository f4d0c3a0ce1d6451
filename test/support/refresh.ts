/**
 * Helpers of the refresh tests (test/functions/refresh-*.test.ts): read and age stored connections, count AWS
 * calls, record metrics, and run callers in separate OS processes (see refresh-worker.ts).
 */
import type { EventPublisher } from '@token-vault/cdk/functions/core/events/publisher';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Dimensions, VaultMetrics } from '@token-vault/cdk/functions/core/observability';
import { RefreshCoordinator } from '@token-vault/cdk/functions/core/refresh/coordinator';
import type { CoordinatorPolicy } from '@token-vault/cdk/functions/core/refresh/coordinator-options';
import { dueAt } from '@token-vault/cdk/functions/core/refresh/policy';
import { Refresher } from '@token-vault/cdk/functions/core/refresh/refresher';
import { decodeConnection } from '@token-vault/cdk/functions/core/store/codec';
import type { LeaseStore } from '@token-vault/cdk/functions/core/store/lease-store';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import type { MetricKey } from '@token-vault/cdk/src/definitions/metrics';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import type { Container } from '@token-vault/cdk/functions/runtime/container';
import { registerSensitive } from './leak-guard';
import type { AnyVault } from './vault';

export const REPO_ROOT = join(__dirname, '..', '..');
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SHA-256 of a token, to compare tokens across processes without ever printing one. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Asserts a successful answer; a failure shows the error, never a token. */
export function expectOk(answer: Record<string, unknown>): void {
  expect(answer.error).toBeUndefined();
  expect(answer.ok).toBe(true);
}

/** Asserts that two tokens are the same (or not) by comparing hashes: a failure never prints a token. */
export function expectSameToken(actual: unknown, expected: unknown, same = true): void {
  const [a, b] = [sha256(String(actual)), sha256(String(expected))];
  if (same) expect(a).toBe(b);
  else expect(a).not.toBe(b);
}

/** A connection item as DynamoDB holds it (flat attributes; see packages/cdk/functions/core/store/codec.ts). */
export interface StoredItem {
  readonly [attribute: string]: unknown;
  readonly userId: string;
  readonly applicationId: string;
  readonly status: string;
  readonly version: number;
  readonly accessTokenIssuedAt?: number;
  readonly accessTokenExpiresAt?: number;
  readonly refreshTokenExpiresAt?: number;
  readonly refreshTokenExpiryAssumed?: boolean;
  readonly accessToken?: Uint8Array;
  readonly refreshToken?: Uint8Array;
  readonly encryptedDataKey?: Uint8Array;
  readonly leaseOwner?: string;
  readonly leaseExpiresAt?: number;
  readonly cooldownUntil?: number;
  readonly lastErrorCode?: string;
  readonly refreshDueAt?: number;
  readonly dueShard?: string;
  readonly revokedAt?: string;
  readonly revocationReason?: string;
  readonly reauthorizationReason?: string;
}

/** A deadline like a function's: `ms` from now (token-fetch's timeout by default). */
export function testDeadline(ms = 20_000): Deadline {
  return Deadline.fromRemaining(ms, SYSTEM_CLOCK);
}

/** The stored refresh token, opened with the vault's own sealer (to compare rotations); registered as sensitive. */
export async function openStoredRefreshToken(
  vault: AnyVault,
  userId: string,
  applicationId = 'default',
): Promise<string> {
  const connection = decodeConnection(await storedRecord(vault, userId, applicationId));
  if (connection?.status !== 'active') throw new Error(`${userId} has no active connection`);
  const token = await vault.container.sealer().openRefreshToken(connection, testDeadline());
  if (token === undefined) throw new Error(`${userId}'s connection has no refresh token`);
  registerSensitive(token);
  return token;
}

/** The stored access token, opened with the vault's own sealer; registered as sensitive. */
export async function openStoredAccessToken(
  vault: AnyVault,
  userId: string,
  applicationId = 'default',
): Promise<string> {
  const connection = decodeConnection(await storedRecord(vault, userId, applicationId));
  if (connection?.status !== 'active') throw new Error(`${userId} has no active connection`);
  const token = await vault.container.sealer().openAccessToken(connection, testDeadline());
  registerSensitive(token);
  return token;
}

/** The connection item as stored (strongly consistent read). */
export async function storedRecord(
  vault: AnyVault,
  userId: string,
  applicationId = 'default',
): Promise<StoredItem | undefined> {
  const out = await vault.resources.doc.send(
    new GetCommand({
      TableName: vault.resources.connectionsTable,
      Key: { userId, applicationId },
      ConsistentRead: true,
    }),
  );
  return out.Item as StoredItem | undefined;
}

/**
 * Makes a connection's access token look old, as if time had passed: issued an hour ago, expiring `validForMs`
 * from now (negative: already expired), and due in the sweep's index accordingly. The version is unchanged, so
 * for the coordinator this is the same item, only later. The provider's own token stays what it is.
 */
export async function ageAccessToken(
  vault: AnyVault,
  userId: string,
  validForMs: number,
  marginMs = 5 * 60 * 1000,
): Promise<void> {
  const now = Date.now();
  const times = { accessTokenIssuedAt: now - 60 * 60 * 1000, accessTokenExpiresAt: now + validForMs };
  await vault.resources.doc.send(
    new UpdateCommand({
      TableName: vault.resources.connectionsTable,
      Key: { userId, applicationId: 'default' },
      UpdateExpression: 'SET accessTokenIssuedAt = :i, accessTokenExpiresAt = :e, refreshDueAt = :d',
      ConditionExpression: 'attribute_exists(userId)',
      ExpressionAttributeValues: {
        ':i': times.accessTokenIssuedAt,
        ':e': times.accessTokenExpiresAt,
        ':d': dueAt(times, marginMs),
      },
    }),
  );
}

/** Sets arbitrary attributes of a stored connection (test setup only). */
export async function patchRecord(vault: AnyVault, userId: string, values: Record<string, unknown>): Promise<void> {
  const names = Object.keys(values);
  await vault.resources.doc.send(
    new UpdateCommand({
      TableName: vault.resources.connectionsTable,
      Key: { userId, applicationId: 'default' },
      UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
    }),
  );
}

// ------------------------------------------------------------------------------------------- the refresh core

/** Parts of {@link coreOf} to replace. */
export interface CoreParts {
  /** E.g. a LeaseStore whose commit fails. @default the container's */
  readonly leases?: LeaseStore;
  /** @default none */
  readonly metrics?: VaultMetrics;
  /** @default the container's tunables */
  readonly policy?: Partial<CoordinatorPolicy>;
  /** Lifecycle events (e.g. a RecordingPublisher). @default none */
  readonly events?: EventPublisher;
}

/**
 * A refresh coordinator (and the refresher under it) wired exactly as the container wires its own, on the
 * container's stores, sealer and provider, with some parts replaced.
 */
export function coreOf(
  container: Container,
  parts: CoreParts = {},
): { readonly coordinator: RefreshCoordinator; readonly refresher: Refresher } {
  const leases = parts.leases ?? container.leases();
  const metrics = {
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
    ...(parts.events === undefined ? {} : { events: parts.events }),
  };
  const refresher = new Refresher({
    connections: container.connections(),
    leases,
    pending: container.pending(),
    sealer: container.sealer(),
    provider: container.provider(),
    timing: container.timing,
    marginMs: millis(container.tunables, 'refreshMarginSeconds'),
    cooldownMs: millis(container.tunables, 'refreshCooldownSeconds'),
    clock: container.clock,
    random: Math.random,
    ...metrics,
  });
  const coordinator = new RefreshCoordinator({
    connections: container.connections(),
    leases,
    sealer: container.sealer(),
    refresher,
    timing: container.timing,
    policy: {
      marginMs: millis(container.tunables, 'refreshMarginSeconds'),
      waitMs: millis(container.tunables, 'refreshWaitSeconds'),
      forcedRefreshMinIntervalMs: millis(container.tunables, 'forcedRefreshMinIntervalSeconds'),
      ...parts.policy,
    },
    clock: container.clock,
    random: Math.random,
    ...metrics,
  });
  return { coordinator, refresher };
}

// ------------------------------------------------------------------------------------------- AWS call counting

/** Counts every SDK call of a container's clients: the bench's counter (one per `send`, SDK retries not included). */
export { countAwsCalls, type AwsCallCounter } from '../../bench/aws-calls';

/** Closes a container's SDK clients (their keep-alive sockets would keep the Jest worker alive). */
export function closeContainer(container: Container): void {
  container.dynamoDbClient().destroy();
  container.dynamoDbReadClient().destroy();
  container.kmsClient().destroy();
  container.secretsManagerClient().destroy();
}

// ------------------------------------------------------------------------------------------- metrics

export interface RecordedMetric {
  readonly metric: MetricKey;
  readonly dimensions: Dimensions;
  readonly value: number;
}

export interface MetricsRecorder extends VaultMetrics {
  readonly records: RecordedMetric[];
  /** Sum of a Count metric's values, optionally only those whose dimensions include `where`. */
  total(metric: MetricKey, where?: Dimensions): number;
}

export function metricsRecorder(): MetricsRecorder {
  const records: RecordedMetric[] = [];
  return {
    records,
    count: (metric, dimensions, value = 1) => void records.push({ metric, dimensions, value }),
    timing: (metric, dimensions, value) => void records.push({ metric, dimensions, value }),
    total: (metric, where = {}) =>
      records
        .filter(
          (r) =>
            r.metric === metric && Object.entries(where).every(([k, v]) => r.dimensions[k as keyof Dimensions] === v),
        )
        .reduce((sum, r) => sum + r.value, 0),
  };
}

// ------------------------------------------------------------------------------------------- worker processes

/** What a worker process does (see refresh-worker.ts). */
export interface WorkerTask {
  readonly userId: string;
  /** Concurrent token-fetches. */
  readonly concurrency: number;
  readonly minValiditySeconds?: number;
  /** Report `ready` and wait for {@link Worker.go} before fetching (so that all processes start together). */
  readonly waitForGo: boolean;
}

export interface WorkerFetch {
  readonly ok: boolean;
  /** SHA-256 of the access token (never the token itself). */
  readonly tokenSha256?: string;
  readonly code?: string;
  readonly ms: number;
}

export interface Worker {
  readonly child: ChildProcess;
  /** Resolves when the worker built its container and waits for {@link go}. */
  readonly ready: Promise<void>;
  /** The worker's results; rejects when it exits without reporting (killed, crashed). */
  readonly result: Promise<WorkerFetch[]>;
  go(): void;
  /** SIGKILL: no cleanup, no `finally`, like a Lambda container that vanishes. */
  kill(): void;
}

const WORKER_SCRIPT = join(__dirname, 'refresh-worker.ts');
export const WORKER_MESSAGE_PREFIX = '@@refresh-worker ';

/**
 * Starts a worker: a separate Node.js process (TypeScript through tsx) that builds its own Container from `env`,
 * like another Lambda container sharing the emulator and the provider. Its log lines are forwarded to this
 * process's stdout, where the leak guard scans them.
 */
export function startWorker(env: Record<string, string>, task: WorkerTask): Worker {
  // --no-warnings: the SDK's Node-version notice on every start would clutter the test output.
  const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', WORKER_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, REFRESH_WORKER_TASK: JSON.stringify(task) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    process.stdout.write(chunk);
    stderr = (stderr + chunk).slice(-2000);
  });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<WorkerFetch[]>((resolve, reject) => {
    let results: WorkerFetch[] | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith(WORKER_MESSAGE_PREFIX)) {
        process.stdout.write(`${line}\n`);
        return;
      }
      const message = JSON.parse(line.slice(WORKER_MESSAGE_PREFIX.length)) as
        { type: 'ready' } | { type: 'result'; results: WorkerFetch[] };
      if (message.type === 'ready') onReady();
      else results = message.results;
    });
    child.once('close', (code, signal) => {
      if (results) resolve(results);
      else
        reject(
          new Error(
            `worker ${child.pid} exited (code ${code}, signal ${signal}) without results: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
  // A worker that dies before `ready` must not leave the test waiting forever.
  void result.catch(() => onReady());
  return {
    child,
    ready,
    result,
    go: () => child.stdin.end('go\n'),
    kill: () => void child.kill('SIGKILL'),
  };
}
