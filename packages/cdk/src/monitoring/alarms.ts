/** The alarms: which signal, which threshold, and what to check when one fires. */
import { AUTHORIZATION_FAILURE_REASONS, DIMENSIONS, REFRESH_TRIGGERS, RESULT_OK } from '../definitions/metrics';
import { EVENT_TYPES } from '../definitions/events';
import { PERIOD_SECONDS } from './constants';
import type { AlarmDefinition } from './types';

/**
 * Refused callbacks that are not an attack or an outage: a user saying no, a flow a revoke ended on purpose, a
 * connect to retry once a pending revocation is done, a session-bound flow completed twice or too late (a 256-bit
 * handle is not guessed). A `session_mismatch` (someone else completed the link) does count.
 */
const NOT_A_FAILURE_SIGNAL: ReadonlySet<string> = new Set([
  'denied',
  'flow_ended',
  'revocation_pending',
  'flow_unknown',
  'flow_expired',
]);

/** Callback failure reasons that count towards the spike alarm. */
const CALLBACK_FAILURE_REASONS = AUTHORIZATION_FAILURE_REASONS.filter((reason) => !NOT_A_FAILURE_SIGNAL.has(reason));

export const ALARMS: readonly AlarmDefinition[] = [
  {
    id: 'RefreshFailureRate',
    title: 'Refresh failure rate',
    description:
      'More than 20% of refreshes at the provider failed in 2 of the last 3 periods (at least 10 refreshes each). ' +
      'Check the provider status and the RefreshFailure error codes on the dashboard.',
    signal: {
      kind: 'vault-failure-percent',
      ok: REFRESH_TRIGGERS.map((trigger) => ({
        metric: 'REFRESH',
        stat: 'Sum',
        where: { [DIMENSIONS.TRIGGER]: trigger, [DIMENSIONS.RESULT]: RESULT_OK },
      })),
      // Exactly one RefreshLatency sample per provider refresh, success or failure: the total without listing
      // every Trigger x Result combination (an alarm may reference 10 metrics at most).
      total: { metric: 'REFRESH_LATENCY', stat: 'SampleCount', where: {} },
      minimumTotal: 10,
    },
    comparison: 'GreaterThanThreshold',
    threshold: 20,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
  },
  {
    id: 'InvalidGrantSpike',
    title: 'invalid_grant spike',
    description:
      'At least 10 refreshes answered invalid_grant in 5 minutes: users are being logged out (grants revoked at the provider, ' +
      'or refresh token reuse detected). Check for a second system refreshing the same tokens.',
    signal: {
      kind: 'vault-sum',
      terms: [{ metric: 'REFRESH_FAILURE', stat: 'Sum', where: { [DIMENSIONS.ERROR_CODE]: 'invalid_grant' } }],
    },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 10,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'CallbackFailureSpike',
    title: 'Callback failure spike',
    description:
      'At least 10 callbacks refused in 5 minutes (bad or replayed state, iss mismatch, failed code exchange; users denying ' +
      'consent are not counted). Check the AuthorizationFailure reasons on the dashboard.',
    signal: {
      kind: 'vault-sum',
      terms: CALLBACK_FAILURE_REASONS.map((reason) => ({
        metric: 'AUTHORIZATION_FAILURE',
        stat: 'Sum',
        where: { [DIMENSIONS.REASON]: reason },
      })),
    },
    includeUnknownApplication: true,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 10,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'WriteAfterRefreshFailed',
    title: 'Failed write after refresh',
    description:
      'Refreshed tokens could not be stored: the rotated refresh token may be lost and the user may have to connect again. ' +
      'Check DynamoDB throttling and errors in the refresh and token-fetch logs.',
    signal: { kind: 'vault-sum', terms: [{ metric: 'WRITE_AFTER_REFRESH_FAILED', stat: 'Sum', where: {} }] },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'PendingRevocationAge',
    title: 'Revocation not confirmed by the provider',
    description:
      'A revoked refresh token has not been confirmed as revoked by the provider for an hour: the grant may still be live there. ' +
      'Check the provider revocation endpoint, the client secret, and the refresh function logs ("Provider revocation failed").',
    signal: { kind: 'vault-sum', terms: [{ metric: 'OLDEST_PENDING_REVOCATION_AGE', stat: 'Maximum', where: {} }] },
    comparison: 'GreaterThanThreshold',
    threshold: 60 * 60 * 1000,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'RefreshBacklog',
    title: 'Proactive refresh behind',
    description:
      'The oldest connection due for a proactive refresh has waited more than 10 minutes in 2 periods in a row: callers are refreshing on demand. ' +
      'Check the refresh worker (errors, throttles), provider errors on the dashboard, then raise refreshWorkerMaxConcurrency.',
    signal: { kind: 'vault-sum', terms: [{ metric: 'REFRESH_BACKLOG_AGE', stat: 'Maximum', where: {} }] },
    comparison: 'GreaterThanThreshold',
    threshold: 10 * 60 * 1000,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
  },
  {
    id: 'RefreshDeadLetters',
    title: 'Refresh work dead-lettered',
    description:
      "The refresh worker failed a message 5 times (or it was not a work message); it is in the refresh queue's dead-letter queue. " +
      'The connection stays due in the index and is enqueued again; check the refresh-worker logs.',
    signal: { kind: 'aws', metric: 'REFRESH_DLQ_MESSAGES_VISIBLE', stat: 'Maximum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'EventDeadLetters',
    title: 'Connection events dead-lettered',
    description:
      'A lifecycle event failed to reach the bus 5 times and is in the event dead-letter queue: consumers missed a change. ' +
      'Check the bus (its policy, a deleted bus) and the sweep logs; replay the messages once it is fixed.',
    signal: { kind: 'aws', metric: 'EVENT_DLQ_MESSAGES_VISIBLE', stat: 'Maximum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'ConnectionEventsLost',
    title: 'Connection events lost',
    description:
      'A lifecycle event was decided but neither the event bus nor the retry queue took it: a consumer missed a change. ' +
      'Check the functions\' logs ("A connection event was lost") and reconcile with the status function.',
    signal: {
      kind: 'vault-sum',
      terms: EVENT_TYPES.map((type) => ({
        metric: 'CONNECTION_EVENT',
        stat: 'Sum',
        where: { [DIMENSIONS.EVENT_TYPE]: type, [DIMENSIONS.RESULT]: 'lost' },
      })),
    },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'FunctionErrors',
    title: 'Function errors',
    description:
      'The function ended in an error (expected failures are answers, so this is a bug, a crash or a timeout). Check its log group.',
    signal: { kind: 'aws', metric: 'LAMBDA_ERRORS', stat: 'Sum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'FunctionThrottles',
    title: 'Function throttles',
    description:
      'Invocations were refused for lack of concurrency. Check the account concurrency and reserved concurrency.',
    signal: { kind: 'aws', metric: 'LAMBDA_THROTTLES', stat: 'Sum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  {
    id: 'DeadLetters',
    title: 'Dead letters',
    description:
      'A sweep delivery or an asynchronous refresh invocation failed for good; the message is in the dead-letter queue.',
    signal: { kind: 'aws', metric: 'DLQ_MESSAGES_VISIBLE', stat: 'Maximum' },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
];
