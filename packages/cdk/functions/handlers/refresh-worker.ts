/**
 * refresh-worker: fed by the refresh queue's event source mapping (batches, `ReportBatchItemFailures`, a bounded
 * maximum concurrency). Refreshes what the sweep enqueued, through the same core as every refresh, and answers the
 * records to deliver again (functions/core/refresh/worker.ts says which).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { workBatch } from '../core/refresh/worker';
import { FUNCTIONS } from '../../src/definitions/functions';
import { millis } from '../../src/definitions/tunables';
import { Container } from '../runtime/container';
import { invocationDeadline } from '../runtime/invoke-handler';
import { logger, vaultLogger } from '../runtime/powertools';

const vault = new Container(process.env, 'refreshWorker');

const base = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const coordinator = vault.coordinator();
  const revocation = vault.revocation();
  const result = await workBatch(
    records.map((r) => ({ messageId: String(r.messageId), body: typeof r.body === 'string' ? r.body : '' })),
    {
      refreshIfDue: async (key, horizonMs, d) => {
        const refreshed = await coordinator.refreshIfDue(key, horizonMs, d);
        // A changed token: one audit record (no token is handed out here, so no fingerprint).
        if (refreshed) auditRefreshed(key, context.awsRequestId);
        return refreshed;
      },
      retryRevocation: (userId, itemKey, d) => revocation.retryRevocation(userId, itemKey, d),
    },
    {
      horizonMs: millis(vault.tunables, 'sweepLookaheadSeconds'),
      deadline: invocationDeadline(context),
      timing: vault.timing,
      logger: vaultLogger,
    },
  );
  vaultLogger.info('Refresh batch worked.', { records: records.length, ...result.outcomes });
  return { batchItemFailures: result.failed.map((itemIdentifier) => ({ itemIdentifier })) };
};

function auditRefreshed(key: { userId: string; applicationId: string }, requestId: string): void {
  try {
    vault.audit().record({
      fn: FUNCTIONS.refreshWorker.name,
      requestId,
      userId: key.userId,
      applicationId: key.applicationId,
      outcome: 'refreshed',
    });
  } catch (error) {
    vaultLogger.error('The audit record could not be written.', {
      function: FUNCTIONS.refreshWorker.name,
      errorName: error instanceof Error ? error.name : 'Error',
    });
  }
}

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>(base).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
