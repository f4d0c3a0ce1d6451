/**
 * The guarantees, as checks over the simulated world. Checked after every step (state) and on every answer:
 * 1. A refresh token is presented to a rotating provider at most once, unless its successor was lost: the
 *    answer never reached a live container, the container that got it crashed, or storing it failed
 *    (`WriteAfterRefreshFailed`).
 * 2. Nothing is served after a revoke's answer: no token of a connection a revoke had ended when it answered,
 *    and no authorization flow started before that revoke completes after it.
 * 3. Versions only grow; the active counters equal the true counts.
 * 4. Every answer is a contract answer, within the function's time (the world flags timeouts and throws);
 *    token answers hold a token of this user, valid at the provider, valid for `minValiditySeconds`, and never
 *    the token a `refresh` caller reported as rejected.
 * 5. An active connection always holds a decryptable refresh token (when the provider issues them).
 */
import { createDecipheriv } from 'node:crypto';
import { ERROR_CODES, RETRYABLE, type ErrorCode } from '@token-vault/cdk/functions/contract/error-codes';
import { ENCRYPTION_CONTEXT_KEYS } from '@token-vault/cdk/src/definitions/encryption';
import { RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import { MAX_CLOCK_OFFSET_MS, type Invocation, type SimAnswer, type World } from './world';

export class Invariants {
  private presentationsSeen = 0;
  private answersSeen = 0;
  /** Set by every write to the connections table: the stored state is checked only after it changed. */
  private dirty = true;

  /** How much a token just refreshed may have aged when served (the core's provider timeout + AWS call budget). */
  private readonly settleMs: number;
  /** The lease: a failed write excuses a lost successor only when DynamoDB failed within it. */
  private readonly leaseMs: number;

  constructor(private readonly world: World) {
    this.settleMs = world.adapter.settleMs(world.env);
    this.leaseMs = 1000 * Number(world.env.TOKEN_VAULT_REFRESH_LEASE_SECONDS ?? 25);
    world.ddb.onWrite((change) => {
      if (change.table === world.tables.connections) this.dirty = true;
      if (change.table !== world.tables.connections || !change.before || !change.after) return;
      const before = Number(change.before.version ?? 0);
      const after = Number(change.after.version ?? 0);
      if (after < before)
        world.violation(
          `version of ${String(change.key.userId)}/${String(change.key.applicationId)} went down from ${before} to ${after}`,
        );
    });
  }

  /** After every step. */
  check(): void {
    this.checkPresentations();
    if (this.dirty) {
      this.dirty = false;
      this.checkStoredConnections();
    }
    const answered = this.world.answered;
    for (; this.answersSeen < answered.length; this.answersSeen++) this.checkAnswer(answered[this.answersSeen]!);
  }

  /**
   * A refresh token presented after the provider rotated it is the vault's fault unless its fate was unknown to
   * the vault. Let `r` be the presentation that rotated it and `p` the one that met reuse detection:
   * - `r`'s answer never reached a live container (a timeout, a lost answer): the vault never had the successor;
   * - the container that got the successor crashed, or DynamoDB failed its write within the lease
   *   (`WriteAfterRefreshFailed` after an injected DynamoDB fault): the successor was lost;
   * - `p` was sent before `r`'s answer arrived and was itself abandoned (its answer never came: a provider that
   *   processed it after our timeout).
   * Otherwise the vault presented a token it knew was used, or two live containers presented it at once.
   */
  private checkPresentations(): void {
    const { provider, wire, metricEvents, crashes } = this.world;
    const log = provider.presentations;
    for (; this.presentationsSeen < log.length; this.presentationsSeen++) {
      const p = log[this.presentationsSeen]!;
      if (p.outcome !== 'reuse_detected') continue;
      const rotation = log.find((q) => q.token === p.token && q.successor !== undefined);
      if (!rotation) continue;
      const delivered = wire.delivered.get(rotation.requestId);
      if (!delivered) continue;
      const window = (at: number): boolean => at >= delivered.at && at <= delivered.at + this.leaseMs;
      const crashed = crashes.some((c) => c.container === delivered.container && c.at >= delivered.at);
      const writeFailed =
        metricEvents.some(
          (m) => m.container === delivered.container && m.metric === 'WRITE_AFTER_REFRESH_FAILED' && window(m.at),
        ) && wire.faults.some((f) => f.container === delivered.container && f.service === 'DynamoDB' && window(f.at));
      if (crashed || writeFailed) continue;
      const sent = wire.sentAt.get(p.requestId) ?? p.at;
      if (sent < delivered.at && !wire.delivered.has(p.requestId)) continue;
      this.world.violation(
        `refresh token ${p.token} presented again at ${iso(p.at)} (sent ${iso(sent)}; first at ${iso(rotation.at)}, successor ${rotation.successor} delivered to live ${delivered.container} at ${iso(delivered.at)}): grant ${p.grantId} revoked by reuse detection`,
      );
    }
  }

  private checkStoredConnections(): void {
    const { ddb, tables, kms, provider } = this.world;
    const active = new Map<string, number>();
    const counters = new Map<string, number>();
    for (const item of ddb.items(tables.connections)) {
      const userId = String(item.userId);
      const applicationId = String(item.applicationId);
      if (userId === RESERVED_KEYS.COUNTER_USER_ID) {
        counters.set(applicationId, Number(item.activeConnections ?? 0));
        continue;
      }
      if (applicationId.startsWith('#') || item.status !== 'active') continue;
      active.set(applicationId, (active.get(applicationId) ?? 0) + 1);
      if (provider.settings.variant === 'no_refresh_token') continue;
      const where = `${userId}/${applicationId} v${String(item.version)}`;
      if (!(item.refreshToken instanceof Uint8Array) || !(item.encryptedDataKey instanceof Uint8Array)) {
        // Without one, the provider must have answered without one (and the vault had none to keep).
        const accessToken = this.open(item, userId, applicationId, 'accessToken');
        if (accessToken === undefined || provider.grantOfAccessToken(accessToken)?.withRefreshToken !== false) {
          this.world.violation(`active connection ${where} holds no refresh token`);
        }
        continue;
      }
      let refreshToken: string;
      try {
        const key = kms.unwrap(item.encryptedDataKey, {
          [ENCRYPTION_CONTEXT_KEYS.USER_ID]: userId,
          [ENCRYPTION_CONTEXT_KEYS.APPLICATION_ID]: applicationId,
        });
        refreshToken = openField(key, userId, applicationId, 'refreshToken', item.refreshToken);
      } catch {
        this.world.violation(`active connection ${where} holds a refresh token that does not decrypt`);
        continue;
      }
      const grant = provider.grantOfRefreshToken(refreshToken);
      if (grant && grant.userId !== userId)
        this.world.violation(`active connection ${where} holds ${grant.userId}'s refresh token`);
    }
    for (const [applicationId, count] of active) {
      if ((counters.get(applicationId) ?? 0) !== count)
        this.world.violation(
          `active counter of ${applicationId} is ${counters.get(applicationId) ?? 0}, true count ${count}`,
        );
    }
    for (const [applicationId, count] of counters) {
      if (!active.has(applicationId) && count !== 0)
        this.world.violation(`active counter of ${applicationId} is ${count}, true count 0`);
    }
  }

  /** A sealed field of a stored connection, opened with the KMS model's own view; undefined when it does not open. */
  private open(
    item: Record<string, unknown>,
    userId: string,
    applicationId: string,
    field: 'accessToken' | 'refreshToken',
  ): string | undefined {
    const { encryptedDataKey } = item;
    const sealed = item[field];
    if (!(encryptedDataKey instanceof Uint8Array) || !(sealed instanceof Uint8Array)) return undefined;
    try {
      const key = this.world.kms.unwrap(encryptedDataKey, {
        [ENCRYPTION_CONTEXT_KEYS.USER_ID]: userId,
        [ENCRYPTION_CONTEXT_KEYS.APPLICATION_ID]: applicationId,
      });
      return openField(key, userId, applicationId, field, sealed);
    } catch {
      return undefined;
    }
  }

  private checkAnswer(invocation: Invocation): void {
    const answer = invocation.answer!;
    const at = invocation.answeredAt!;
    if (invocation.operation === 'callback') return this.checkCallback(invocation);
    if (invocation.operation === 'complete') return this.checkComplete(invocation);
    const a = answer as SimAnswer;
    const shape = contractProblem(invocation.operation, a);
    if (shape)
      return this.world.violation(`#${invocation.id} ${invocation.operation} answered outside the contract: ${shape}`);
    if (a.ok !== true || typeof a.accessToken !== 'string') return;
    const userId = String(invocation.input.userId);
    const token = a.accessToken;
    const issued = this.world.provider.grantOfAccessToken(token);
    if (!issued) return this.world.violation(`#${invocation.id} served a token the provider never issued`);
    if (issued.grant.userId !== userId)
      return this.world.violation(`#${invocation.id} served ${issued.grant.userId}'s token to ${userId}`);
    if (issued.expiresAt <= at)
      this.world.violation(
        `#${invocation.id} served a token that expired at the provider ${at - issued.expiresAt} ms before`,
      );
    const expiresAt = Date.parse(String(a.expiresAt));
    if (expiresAt > issued.expiresAt + 1000)
      this.world.violation(
        `#${invocation.id} says the token lives until ${String(a.expiresAt)}, the provider ends it at ${iso(issued.expiresAt)}`,
      );
    if (invocation.operation === 'token-fetch') {
      const asked = Number(invocation.input.minValiditySeconds ?? 60) * 1000;
      const lifetime = this.world.provider.settings.accessTokenTtlSeconds * 1000;
      // The contract's documented cap: at most the lifetime less one provider attempt and the write after it.
      const required = Math.min(asked, Math.max(0, lifetime - this.settleMs));
      // The container judged validity by its own clock, which may be off by MAX_CLOCK_OFFSET_MS.
      if (expiresAt - at < required - MAX_CLOCK_OFFSET_MS)
        this.world.violation(`#${invocation.id} served a token valid ${expiresAt - at} ms, ${required} ms asked`);
    }
    if (invocation.operation === 'refresh' && invocation.input.rejectedAccessToken === token) {
      this.world.violation(`#${invocation.id} refresh answered the very token its caller reported as rejected`);
    }
    const flow = this.world.flows.get(issued.originCode);
    const revoke = this.revokeBefore(userId, flow?.startedAt ?? -Infinity, at);
    if (revoke)
      this.world.violation(
        `#${invocation.id} served a token at ${iso(at)} after revoke #${revoke.id} answered at ${iso(revoke.answeredAt!)}`,
      );
  }

  private checkCallback(invocation: Invocation): void {
    const outcome = invocation.answer as { status: string };
    if (outcome.status !== 'connected') return;
    const flow = this.world.flows.get(String(invocation.input.code));
    if (!flow) return;
    const revoke = this.revokeBefore(flow.userId, flow.startedAt, invocation.answeredAt!);
    if (revoke)
      this.world.violation(
        `#${invocation.id} completed a flow started at ${iso(flow.startedAt)} after revoke #${revoke.id} (started ${iso(revoke.startedAt)}) answered`,
      );
  }

  /** A parked flow completed into a connection must not have started before a revoke that answered before it. */
  private checkComplete(invocation: Invocation): void {
    const a = invocation.answer as SimAnswer | undefined;
    if (a?.ok !== true) return;
    const code = this.world.flowHandles.get(String(invocation.input.flowHandle));
    const flow = code === undefined ? undefined : this.world.flows.get(code);
    if (!flow) return;
    const revoke = this.revokeBefore(flow.userId, flow.startedAt, invocation.answeredAt!);
    if (revoke)
      this.world.violation(
        `#${invocation.id} completed a parked flow started at ${iso(flow.startedAt)} after revoke #${revoke.id} (started ${iso(revoke.startedAt)}) answered`,
      );
  }

  /** A revoke of the user's default connection that started after `since` and answered ok before `at`. */
  private revokeBefore(userId: string, since: number, at: number): Invocation | undefined {
    return this.world.invocations.find(
      (r) =>
        r.operation === 'revoke' &&
        r.input.userId === userId &&
        (r.answer as SimAnswer | undefined)?.ok === true &&
        r.answeredAt! <= at &&
        r.startedAt >= since,
    );
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** What is wrong with an answer's shape, per the contract; undefined when it is a contract answer. */
function contractProblem(operation: string, a: SimAnswer): string | undefined {
  if (a.ok === false) {
    const error = a.error as
      { code?: unknown; message?: unknown; retryable?: unknown; retryAfterSeconds?: unknown } | undefined;
    if (!error || !ERROR_CODES.includes(error.code as ErrorCode)) return `unknown error code ${String(error?.code)}`;
    if (typeof error.message !== 'string' || error.message === '') return 'no message';
    if (error.retryable !== RETRYABLE[error.code as ErrorCode])
      return `retryable=${String(error.retryable)} for ${String(error.code)}`;
    if (
      error.retryAfterSeconds !== undefined &&
      !(Number.isInteger(error.retryAfterSeconds) && (error.retryAfterSeconds as number) >= 1)
    )
      return 'bad retryAfterSeconds';
    return undefined;
  }
  if (a.ok !== true) return 'no ok';
  switch (operation) {
    case 'token-fetch':
    case 'refresh':
      if (
        typeof a.accessToken !== 'string' ||
        typeof a.tokenType !== 'string' ||
        typeof a.scope !== 'string' ||
        Number.isNaN(Date.parse(String(a.expiresAt)))
      )
        return 'token answer fields';
      return 'refreshToken' in a ? 'a refresh token in the answer' : undefined;
    case 'revoke':
      return typeof a.revoked === 'number' ? undefined : 'revoked';
    case 'connect':
      return typeof a.authorizationUrl === 'string' ? undefined : 'authorizationUrl';
    default:
      return undefined;
  }
}

/** Opens a sealed field (format v1: version byte, 12-byte IV, body, 16-byte tag; AAD binds row and field). */
function openField(key: Buffer, userId: string, applicationId: string, field: string, sealed: Uint8Array): string {
  const data = Buffer.from(sealed);
  if (data[0] !== 1) throw new Error('format');
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(1, 13), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(JSON.stringify(['token-vault/v1', userId, applicationId, field]), 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(13, data.length - 16)), decipher.final()]).toString('utf8');
}
