/**
 * The audit trail: one structured record per token handed out or changed (token-fetch, refresh, revoke, complete,
 * callback; import), as one JSON line on stdout, which a subscription filter forwards into the vault's audit log
 * group (README "Audit trail"). Writing a line is not an AWS call, so recording after a token's deciding read keeps
 * "nothing served after revoke answered". A token never appears: only its fingerprint, an HMAC under a key per
 * deployment (a token found elsewhere can be matched against the trail by whoever may unwrap that key).
 *
 * Reusable: `audit.record({ fn, qualifier, userId, applicationId, outcome, token })`.
 */
import { createHmac } from 'node:crypto';
import { AUDIT_FORMAT, FINGERPRINT_PREFIX } from '../../../src/definitions/audit';
import { APPLICATION_ID_PATTERN, USER_ID_PATTERN } from '../../../src/definitions/applications';
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import type { Deadline } from '../time/deadline';

/** What an audited invocation tells the trail. Every field is a bounded value; `token` is only fingerprinted. */
export interface AuditEvent {
  /** The function's name in the contract (`token-fetch`, `refresh`, `revoke`, `complete`, `callback`, `import`). */
  readonly fn: string;
  /** The alias or version the function was invoked through (`app-crm`), when qualified. */
  readonly qualifier?: string;
  /** The invocation's request id (Lambda's `awsRequestId`). */
  readonly requestId?: string;
  readonly userId?: string;
  readonly applicationId?: string;
  /** `served`, `refused`, `revoked`, `none`, `connected`, `pending`, `imported`, ... */
  readonly outcome: string;
  /** The contract error code of a refusal. */
  readonly errorCode?: string;
  /** The access token handed out or stored: written as its fingerprint only. */
  readonly token?: string;
  /** Connections a revoke ended. */
  readonly count?: number;
  /** The user a refused `complete` was presented for (session binding). */
  readonly presentedUserId?: string;
}

/** One record as written (README "Audit trail" lists the fields; the Logs Insights query uses them). */
export interface AuditRecord {
  readonly level: 'INFO';
  readonly timestamp: string;
  readonly audit: typeof AUDIT_FORMAT;
  /** Unique per record: delivery is at least once, the query de-duplicates on it. */
  readonly auditId: string;
  readonly functionName: string;
  readonly qualifier: string | null;
  readonly requestId: string | null;
  readonly userId: string | null;
  readonly applicationId: string | null;
  readonly outcome: string;
  readonly errorCode: string | null;
  readonly accessTokenFingerprint: string | null;
  readonly fingerprintError?: 'key_unavailable';
  readonly count?: number;
  readonly presentedUserId?: string;
}

/** Where audit records go, and the key of their fingerprints. */
export interface AuditTrailOptions {
  /**
   * Where a record goes.
   * @default - one line on stdout
   */
  readonly write?: (line: string) => void;
  /**
   * Loads the fingerprint key (once per container).
   * @default - records carry no fingerprint
   */
  readonly loadKey?: (deadline: Deadline) => Promise<Buffer>;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
  /**
   * The clock of each record's time, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

const stdoutLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export class AuditTrail {
  private key: Buffer | undefined;
  private loading: Promise<void> | undefined;
  private keyFailed = false;
  private sequence = 0;
  private readonly write: (line: string) => void;
  private readonly logger: VaultLogger;
  private readonly now: () => number;

  constructor(private readonly options: AuditTrailOptions = {}) {
    this.write = options.write ?? stdoutLine;
    this.logger = options.logger ?? NO_LOGS;
    this.now = options.now ?? Date.now;
  }

  /**
   * Loads the fingerprint key before the invocation's work (a cold container only): afterwards recording makes no
   * AWS call. Never throws: without the key, records say `fingerprintError` and tokens are still served.
   */
  async ready(deadline: Deadline): Promise<void> {
    if (this.key !== undefined || this.options.loadKey === undefined) return;
    this.loading ??= this.options
      .loadKey(deadline)
      .then((key) => {
        this.key = key;
        this.keyFailed = false;
      })
      .catch((error: unknown) => {
        this.keyFailed = true;
        this.logger.warn(
          'The audit fingerprint key could not be loaded; records carry no fingerprint until it can.',
          describeError(error),
        );
      })
      .finally(() => {
        this.loading = undefined;
      });
    await this.loading;
  }

  /** The fingerprint of an access token: `hmac1:` and 128 bits of HMAC-SHA256, base64url. */
  fingerprint(token: string): string | undefined {
    if (this.key === undefined) return undefined;
    return (
      FINGERPRINT_PREFIX +
      createHmac('sha256', this.key).update(`access_token\0${token}`, 'utf8').digest('base64url').slice(0, 22)
    );
  }

  record(event: AuditEvent): AuditRecord {
    this.sequence += 1;
    const fingerprint = event.token === undefined ? undefined : this.fingerprint(event.token);
    const record: AuditRecord = {
      level: 'INFO',
      timestamp: new Date(this.now()).toISOString(),
      audit: AUDIT_FORMAT,
      auditId: `${event.requestId ?? 'local'}/${this.sequence}`,
      functionName: event.fn,
      qualifier: event.qualifier ?? null,
      requestId: event.requestId ?? null,
      // Only values of the contract's shapes: a refused payload's junk never reaches the trail.
      userId: bounded(event.userId, USER_ID_PATTERN),
      applicationId: bounded(event.applicationId, APPLICATION_ID_PATTERN),
      outcome: event.outcome,
      errorCode: event.errorCode ?? null,
      accessTokenFingerprint: fingerprint ?? null,
      ...(event.token !== undefined && fingerprint === undefined
        ? { fingerprintError: 'key_unavailable' as const }
        : {}),
      ...(event.count === undefined ? {} : { count: event.count }),
      ...(bounded(event.presentedUserId, USER_ID_PATTERN) === null ? {} : { presentedUserId: event.presentedUserId! }),
    };
    this.write(JSON.stringify(record));
    return record;
  }

  /** Whether the last key load failed (for tests and metrics). */
  get keyUnavailable(): boolean {
    return this.keyFailed;
  }
}

function bounded(value: unknown, pattern: RegExp): string | null {
  return typeof value === 'string' && pattern.test(value) ? value : null;
}
