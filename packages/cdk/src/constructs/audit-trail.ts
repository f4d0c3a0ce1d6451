/**
 * The audit trail (README "Audit trail"): functions write audit records to their own logs; a subscription filter on
 * each function's log group hands the matching lines to the forwarder, which writes them into a log group of their
 * own.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FUNCTION_KEYS } from '../definitions/access';
import { AUDIT_FORMAT } from '../definitions/audit';
import { ENV } from '../definitions/env';
import { FUNCTIONS } from '../definitions/functions';
import type { VaultFunctions } from './vault-function';

/** What {@link addAuditTrail} wires together. */
export interface AuditTrailOptions {
  readonly functions: VaultFunctions;
  /** Retention of the audit log group. */
  readonly retention: logs.RetentionDays;
  /** Where deliveries that keep failing go. */
  readonly deadLetterQueue: sqs.IQueue;
}

/** Creates the audit log group in `scope` (retained), the forwarder's access to it and the subscription filters. */
export function addAuditTrail(scope: Construct, options: AuditTrailOptions): logs.LogGroup {
  const { functions } = options;
  const auditLogGroup = new logs.LogGroup(scope, 'AuditLog', {
    retention: options.retention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const forwarder = functions.auditForwarder;
  forwarder.function.addEnvironment(ENV.AUDIT_LOG_GROUP, auditLogGroup.logGroupName);
  auditLogGroup.grantWrite(forwarder.role);
  // A delivery that keeps failing goes to the dead-letter queue (its alarm covers it).
  forwarder.function.configureAsyncInvoke({
    retryAttempts: 2,
    onFailure: new destinations.SqsDestination(options.deadLetterQueue),
  });
  const destination = new LambdaDestination(forwarder.function);
  for (const key of FUNCTION_KEYS) {
    if (key === 'auditForwarder') continue;
    new logs.SubscriptionFilter(scope, `AuditFilter-${FUNCTIONS[key].name}`, {
      logGroup: functions[key].logGroup,
      destination,
      filterPattern: logs.FilterPattern.stringValue('$.audit', '=', AUDIT_FORMAT),
      filterName: 'token-vault-audit',
    });
  }
  return auditLogGroup;
}
