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
import { SYSTEM_CLOCK } from '../core/time/clock';
import { Deadline } from '../core/time/deadline';
import { errorAnswer } from './answers';
import { logger, vaultLogger } from './powertools';

/** The invocation's deadline: Lambda's remaining time, less the reserve for answering. */
export function invocationDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>): Deadline {
  return Deadline.fromRemaining(context.getRemainingTimeInMillis(), SYSTEM_CLOCK);
}

export function invokeHandler<S extends z.ZodMiniType, R extends object>(schema: S, run: (input: z.output<S>, deadline: Deadline) => Promise<R>) {
  const base = async (event: unknown, context: Context): Promise<({ ok: true } & R) | ErrorAnswer> => {
    try {
      const input = schema.parse(event);
      return { ok: true, ...(await run(input, invocationDeadline(context))) };
    } catch (error) {
      return errorAnswer(error, vaultLogger);
    }
  };
  return middy<unknown, ({ ok: true } & R) | ErrorAnswer, Error, Context>(base).use(injectLambdaContext(logger, { resetKeys: true }));
}
