/**
 * The proactive sweep: finds the work that is due through the sparse `refresh-due` index (never a table scan),
 * every shard at once and oldest first, so no shard starves under a backlog, and does it with bounded
 * concurrency. Work is a connection to refresh or a refresh token the provider has not confirmed as revoked.
 * An item is started only while the invocation's time still covers a whole refresh; the rest stays due for the
 * next run. Its cost grows with the work due, not with the number of connections.
 */
import { REFRESH_DUE_SHARDS } from '../../../src/definitions/tables';
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import type { ConnectionStore, DueItem } from '../store/connection-store';
import type { Item } from '../store/codec';
import { PendingRevocations } from '../store/pending-revocations';
import type { ConnectionKey } from '../store/types';
import type { Deadline } from '../time/deadline';
import { wholeRefreshMs, type RefreshTiming } from './budget';

/** What the sweep does with each due item. */
export interface SweepWork {
  /** True when the connection now holds a newer token. */
  refreshIfDue(key: ConnectionKey, horizonMs: number, deadline: Deadline): Promise<boolean>;
  /** True when the provider confirmed the revocation. */
  retryRevocation(userId: string, itemKey: string, deadline: Deadline): Promise<boolean>;
}

export interface SweepOptions {
  /** Refresh what will be due within this many milliseconds (at least the schedule's interval). */
  readonly horizonMs: number;
  readonly deadline: Deadline;
  readonly timing: RefreshTiming;
  /** @default 50 */
  readonly pageSize?: number;
  /** Items in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Upper bound of items examined in one run; the rest stay due for the next run. @default 2000 */
  readonly maxItems?: number;
  readonly logger?: VaultLogger;
}

export interface SweepResult {
  /** Due items this run worked on. */
  readonly examined: number;
  /** Connections that now hold a new token (refreshed by this sweep, or by a peer meanwhile). */
  readonly refreshed: number;
  /** Items whose work failed (re-authorization needed, provider unavailable, ...). */
  readonly failed: number;
  /** Pending provider revocations confirmed by this run. */
  readonly revocationsConfirmed: number;
}

export async function sweepDue(store: ConnectionStore, work: SweepWork, options: SweepOptions): Promise<SweepResult> {
  const { deadline } = options;
  const logger = options.logger ?? NO_LOGS;
  const pageSize = options.pageSize ?? 50;
  const maxItems = options.maxItems ?? 2000;
  const clock = deadline.clock;
  const result = { examined: 0, refreshed: 0, failed: 0, revocationsConfirmed: 0 };
  const startNeeds = wholeRefreshMs(options.timing);
  const dueBy = clock.now() + options.horizonMs;
  const cursors = new Map<number, Item | undefined>(Array.from({ length: REFRESH_DUE_SHARDS }, (_, shard) => [shard, undefined]));

  const one = async (due: DueItem): Promise<void> => {
    try {
      if (PendingRevocations.isPendingKey(due.applicationId)) {
        if (await work.retryRevocation(due.userId, due.applicationId, deadline)) result.revocationsConfirmed++;
      } else if (await work.refreshIfDue(due, options.horizonMs, deadline)) {
        result.refreshed++;
      }
    } catch (error) {
      // One item's failure (re-authorization needed, provider down) must not stop the sweep.
      result.failed++;
      logger.warn('Proactive work failed for one item.', { userId: due.userId, applicationId: due.applicationId, ...describeError(error) });
    }
  };

  while (cursors.size > 0 && result.examined < maxItems && deadline.allows(startNeeds)) {
    // One page of every shard that still has work, read in parallel; then the oldest first.
    const shards = [...cursors.entries()];
    const pages = await Promise.all(
      shards.map(async ([shard, cursor]) => {
        try {
          return { shard, page: await store.queryDue(shard, dueBy, pageSize, deadline, cursor) };
        } catch (error) {
          logger.warn('A shard of the due index could not be read.', { shard, ...describeError(error) });
          return { shard, page: { items: [] as DueItem[] } };
        }
      }),
    );
    for (const { shard, page } of pages) {
      if (page.cursor) cursors.set(shard, page.cursor);
      else cursors.delete(shard);
    }
    // A pending revocation is retried when its backoff ends, not ahead like a refresh.
    const now = clock.now();
    const queue = pages
      .flatMap(({ page }) => page.items)
      .filter((item) => !PendingRevocations.isPendingKey(item.applicationId) || item.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, maxItems - result.examined);
    await runBounded(queue, options.concurrency ?? 4, async (item) => {
      if (!deadline.allows(startNeeds)) return;
      result.examined++;
      await one(item);
    });
  }
  return result;
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
