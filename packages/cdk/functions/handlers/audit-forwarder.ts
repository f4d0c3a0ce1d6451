/**
 * audit-forwarder: invoked by CloudWatch Logs subscriptions on the vault functions' log groups (never by callers);
 * writes their audit records into the audit log group (README "Audit trail").
 */
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ENV } from '../../src/definitions/env';
import { auditBatches, decodeDelivery } from '../core/audit/forwarder';
import { requireEnv } from '../runtime/config';

// Three attempts of up to 5 s each: the delivery is retried by Lambda if all fail.
const logs = new CloudWatchLogsClient({
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 5000, requestTimeout: 5000, throwOnRequestTimeout: true },
});

export const handler = async (event: { awslogs?: { data?: string } }): Promise<{ forwarded: number }> => {
  if (typeof event.awslogs?.data !== 'string') return { forwarded: 0 };
  const logGroupName = requireEnv(ENV.AUDIT_LOG_GROUP);
  let forwarded = 0;
  for (const batch of auditBatches(decodeDelivery(event.awslogs.data))) {
    const put = () =>
      logs.send(
        new PutLogEventsCommand({ logGroupName, logStreamName: batch.logStreamName, logEvents: batch.logEvents }),
      );
    try {
      await put();
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      // The day's stream of this function does not exist yet (another delivery may be making it too).
      await logs
        .send(new CreateLogStreamCommand({ logGroupName, logStreamName: batch.logStreamName }))
        .catch((created: unknown) => {
          if (!(created instanceof Error && created.name === 'ResourceAlreadyExistsException')) throw created;
        });
      await put();
    }
    forwarded += batch.logEvents.length;
  }
  // A failure throws: Lambda retries the asynchronous delivery, then sends it to the vault's dead-letter queue.
  return { forwarded };
};
