/**
 * The `used` policy's writes: the mark that puts a served token on the expiry track, and the reschedule of a
 * connection the proactive refresh visited but does not refresh now.
 */
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import type { ActiveConnection } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { RefreshCoordinatorOptions } from './coordinator-options';
import type { RefreshSchedule } from './schedule';

/** Records use of a served token, and moves a visited connection to its next due time. */
export class UseMark {
  private readonly logger: VaultLogger;

  constructor(
    private readonly o: RefreshCoordinatorOptions,
    private readonly schedule: RefreshSchedule,
  ) {
    this.logger = o.logger ?? NO_LOGS;
  }

  /**
   * The `used` policy's mark: the first answer with a token records that a caller uses it (one conditional write
   * per access token, across all containers) and puts it on the expiry track, so the proactive refresh gets its
   * successor before it expires. A lost mark only means the next token may be refreshed on demand; the caller
   * re-reads when the mark did not land ('failed'), since the connection may have changed under it.
   */
  async markUsed(active: ActiveConnection, now: number, deadline: Deadline): Promise<'marked' | 'skipped' | 'failed'> {
    if (!this.schedule.marksUse || this.schedule.used(active) || !deadline.allows(2 * this.o.timing.awsCallMs))
      return 'skipped';
    try {
      return (await this.o.connections.markFetched(active, now, this.schedule.next(active, true), deadline))
        ? 'marked'
        : 'failed';
    } catch (error) {
      this.logger.warn('The connection could not be marked as used.', {
        userId: active.userId,
        applicationId: active.applicationId,
        ...describeError(error),
      });
      return 'failed';
    }
  }

  /**
   * The proactive refresh visited a connection its policy does not refresh now: when the index still shows it as
   * due (a token nobody used, left on the expiry track), it moves to its next due time, so the sweep does not
   * enqueue it again. Best effort: a failure leaves it to the next visit.
   */
  async visitNotDue(active: ActiveConnection, now: number, horizonMs: number, deadline: Deadline): Promise<void> {
    if (active.refreshDueAt === undefined || active.refreshDueAt > now + horizonMs) return;
    const next = this.schedule.next(active, this.schedule.used(active));
    if (next <= active.refreshDueAt) return;
    try {
      await this.o.connections.reschedule(active, next, deadline);
    } catch (error) {
      this.logger.warn('The connection could not be rescheduled.', {
        userId: active.userId,
        applicationId: active.applicationId,
        ...describeError(error),
      });
    }
  }
}
