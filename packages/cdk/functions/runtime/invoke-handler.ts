/**
 * The shape every Invoke API function shares: validate the payload (nothing read or written before), make one
 * core call within the invocation's deadline, answer `{ ok: true, ... }`, and turn every expected failure into an
 * answer rather than a thrown error (callers never see a FunctionError for them).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { ErrorAnswer } from '../contract/answers';
import { applicationAlias, isVersionQualifier, qualifierOf } from '../../src/definitions/aliases';
import type { AuditEvent, AuditTrail } from '../core/audit/audit-trail';
import { VaultError } from '../core/errors';
import { SYSTEM_CLOCK } from '../core/time/clock';
import { Deadline } from '../core/time/deadline';
import { errorAnswer } from './answers';
import { logger, vaultLogger } from './powertools';

/** Longest a cold container spends loading the audit fingerprint key (two or three AWS calls, usually ~50 ms). */
export const AUDIT_KEY_LOAD_BUDGET_MS = 1500;

/** The invocation's deadline: Lambda's remaining time, less the reserve for answering. */
export function invocationDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>): Deadline {
  return Deadline.fromRemaining(context.getRemainingTimeInMillis(), SYSTEM_CLOCK);
}

/** Options of {@link invokeHandler}. */
export interface InvokeHandlerOptions {
  /**
   * The function has per-application aliases (scoped callers): invoked through one, it serves only that alias's
   * application. The configured application ids.
   * @default - the function has no per-application aliases: every caller may name any application
   */
  readonly applicationScope?: () => readonly string[];
  /**
   * One audit record per invocation (README "Audit trail").
   * @default - no audit records
   */
  readonly audit?: InvokeAudit;
}

/** How an Invoke API function is audited. */
export interface InvokeAudit {
  /** The function's contract name. */
  readonly fn: string;
  readonly trail: () => AuditTrail;
  /** Load the fingerprint key before the work (functions that hand out tokens). */
  readonly fingerprints?: boolean;
  /** The record of one invocation, from its payload (as validated when it was) and its answer; undefined: none. */
  readonly describe: (
    payload: Record<string, unknown>,
    answer: Record<string, unknown>,
  ) => Omit<AuditEvent, 'fn' | 'qualifier' | 'requestId'> | undefined;
}

export function invokeHandler<S extends z.ZodMiniType, R extends object>(
  schema: S,
  run: (input: z.output<S>, deadline: Deadline) => Promise<R>,
  options: InvokeHandlerOptions = {},
) {
  const base = async (event: unknown, context: Context): Promise<({ ok: true } & R) | ErrorAnswer> => {
    const audit = options.audit;
    let payload: unknown = event;
    let answer: ({ ok: true } & R) | ErrorAnswer;
    try {
      const scoped =
        options.applicationScope === undefined
          ? event
          : scopeToAlias(event, context.invokedFunctionArn, options.applicationScope());
      const input = schema.parse(scoped);
      payload = input;
      // The fingerprint key is loaded before the work (cold containers only; never for a refused payload, which
      // must write nothing): after the work, recording makes no AWS call. Bounded, so that a slow KMS cannot eat
      // the time the work needs: past the budget the records say `key_unavailable` and a later invocation retries.
      if (audit?.fingerprints && servesKnownApplication(input, options.applicationScope))
        await audit
          .trail()
          .ready(
            Deadline.fromRemaining(
              Math.min(context.getRemainingTimeInMillis(), AUDIT_KEY_LOAD_BUDGET_MS),
              SYSTEM_CLOCK,
              0,
            ),
          );
      answer = { ok: true, ...(await run(input, invocationDeadline(context))) };
    } catch (error) {
      answer = errorAnswer(error, vaultLogger);
    }
    if (audit) recordAudit(audit, payload, answer, context);
    return answer;
  };
  return middy<unknown, ({ ok: true } & R) | ErrorAnswer, Error, Context>(base).use(
    injectLambdaContext(logger, { resetKeys: true }),
  );
}

/**
 * The IAM half of caller scoping is the grant on the alias ARN; this is the function's half. Invoked through an
 * application's alias (Lambda sets `invokedFunctionArn`; the caller can't), the payload may name only that
 * application, and a payload that names none means it. Unqualified, `$LATEST` or a version: unscoped (the vault's
 * own grants never reach a version). An alias of no configured application: refused. Nothing read before.
 */
export function scopeToAlias(
  event: unknown,
  invokedFunctionArn: string | undefined,
  applicationIds: readonly string[],
): unknown {
  const qualifier = qualifierOf(invokedFunctionArn);
  if (qualifier === undefined || isVersionQualifier(qualifier)) return event;
  const applicationId = applicationIds.find((id) => applicationAlias(id) === qualifier);
  if (applicationId === undefined)
    throw new VaultError('invalid_request', 'This function alias serves no configured application.');
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
  const named = (event as Record<string, unknown>).applicationId;
  if (named === undefined) return { ...event, applicationId };
  if (named !== applicationId)
    throw new VaultError(
      'invalid_request',
      'applicationId: not allowed through this function alias (the caller is scoped to another application).',
    );
  return event;
}

/** Writes the invocation's audit record; a failure to describe or write one never changes the answer. */
function recordAudit(audit: InvokeAudit, payload: unknown, answer: object, context: Context): void {
  try {
    const fields =
      typeof payload === 'object' && payload !== null && !Array.isArray(payload)
        ? (payload as Record<string, unknown>)
        : {};
    const described = audit.describe(fields, answer as Record<string, unknown>);
    if (described === undefined) return;
    const qualifier = qualifierOf(context.invokedFunctionArn);
    audit.trail().record({
      fn: audit.fn,
      ...(qualifier === undefined ? {} : { qualifier }),
      requestId: context.awsRequestId,
      ...described,
    });
  } catch (error) {
    vaultLogger.error('The audit record could not be written.', {
      function: audit.fn,
      errorName: error instanceof Error ? error.name : 'Error',
    });
  }
}

/** The record of a function that hands out an access token (token-fetch, refresh). */
export function tokenAuditRecord(
  payload: Record<string, unknown>,
  answer: Record<string, unknown>,
): Omit<AuditEvent, 'fn' | 'qualifier' | 'requestId'> | undefined {
  if ('sweep' in payload) return undefined;
  const error = answer.error as { code?: string } | undefined;
  return {
    userId: payload.userId as string,
    applicationId: payload.applicationId as string,
    outcome: answer.ok === true ? 'served' : 'refused',
    ...(error?.code === undefined ? {} : { errorCode: error.code }),
    ...(answer.ok === true && typeof answer.accessToken === 'string' ? { token: answer.accessToken } : {}),
  };
}

/** Whether a validated payload names a configured application (the core refuses the others, writing nothing). */
function servesKnownApplication(input: unknown, applicationIds: (() => readonly string[]) | undefined): boolean {
  if (applicationIds === undefined || typeof input !== 'object' || input === null) return true;
  const named = (input as Record<string, unknown>).applicationId;
  return typeof named !== 'string' || applicationIds().includes(named);
}
