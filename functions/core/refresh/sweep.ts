/**
 * The proactive sweep: refreshes connections due soon, found through the sparse `refresh-due` index (never a
 * table scan), a page at a time with bounded concurrency, within a time budget. Its cost grows with the number
 * of connections due, not with the number of connections.
 */
import { REFRESH_DUE_SHARDS } from '../../definitions/tables';
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import type { ConnectionStore, DueConnection } from '../store/connection-store';
import type { RefreshCoordinator } from './coordinator';

export interface SweepOptions {
  /** Refresh what will be due within this many milliseconds (at least the schedule's interval). */
  readonly horizonMs: number;
  /** Stop starting new refreshes after this absolute time (below the function timeout). */
  readonly deadline: number;
  /** @default 50 */
  readonly pageSize?: number;
  /** Refreshes in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Upper bound of connections examined in one run; the rest stay due for the next run. @default 2000 */
  readonly maxConnections?: number;
  readonly now?: () => number;
  readonly logger?: VaultLogger;
}

export interface SweepResult {
  /** Connections read from the index. */
  readonly examined: number;
  /** Connections that now hold a new token (refreshed by this sweep, or by a peer meanwhile). */
  readonly refreshed: number;
  /** Connections whose refresh failed (re-authorization needed, provider unavailable, ...). */
  readonly failed: number;
}

export async function sweepDueConnections(store: ConnectionStore, coordinator: RefreshCoordinator, options: SweepOptions): Promise<SweepResult> {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? NO_LOGS;
  const pageSize = options.pageSize ?? 50;
  const concurrency = options.concurrency ?? 4;
  const maxConnections = options.maxConnections ?? 2000;
  let examined = 0;
  let refreshed = 0;
  let failed = 0;
  const refreshOne = async (due: DueConnection): Promise<void> => {
    try {
      // Not getToken: it would count a connection that was not due as refreshed, and open (KMS-decrypt) its
      // access token only to throw it away.
      if (await coordinator.refreshIfDue(due, { trigger: 'proactive', horizonMs: options.horizonMs })) refreshed++;
    } catch (error) {
      // One connection's failure (re-authorization needed, provider down) must not stop the sweep.
      failed++;
      logger.warn('Proactive refresh failed for one connection.', { userId: due.userId, applicationId: due.applicationId, ...describeError(error) });
    }
  };
  for (let shard = 0; shard < REFRESH_DUE_SHARDS; shard++) {
    let cursor: Record<string, unknown> | undefined;
    do {
      if (now() >= options.deadline || examined >= maxConnections) return { examined, refreshed, failed };
      const page = await store.queryDue(shard, now() + options.horizonMs, Math.min(pageSize, maxConnections - examined), cursor);
      examined += page.items.length;
      await runBounded(page.items, concurrency, refreshOne);
      cursor = page.cursor;
    } while (cursor);
  }
  return { examined, refreshed, failed };
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
