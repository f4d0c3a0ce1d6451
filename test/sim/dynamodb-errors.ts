/**
 * The errors the model throws are the SDK's own exception classes (same `name`, `$fault`, `$metadata`, and
 * `instanceof` works), so code under test cannot tell them from what DynamoDB would make the SDK throw.
 * DynamoDB's ValidationException has no class of its own in the SDK: it is a DynamoDBServiceException named so.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  ResourceNotFoundException,
  TransactionCanceledException,
  type AttributeValue as SdkAttributeValue,
  type CancellationReason,
} from '@aws-sdk/client-dynamodb';
import type { AttributeMap } from './dynamodb-values';

const METADATA = (): { httpStatusCode: number; attempts: number; totalRetryDelay: number } => ({
  httpStatusCode: 400,
  attempts: 1,
  totalRetryDelay: 0,
});

/** A request parameter as DynamoDB quotes it in a message. */
export function quote(raw: unknown): string {
  return typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean'
    ? String(raw)
    : (JSON.stringify(raw) ?? 'null');
}

export function validation(message: string): DynamoDBServiceException {
  return new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    $metadata: METADATA(),
    message,
  });
}

export function resourceNotFound(table: string): ResourceNotFoundException {
  return new ResourceNotFoundException({
    $metadata: METADATA(),
    message: `Requested resource not found: Table: ${table} not found`,
  });
}

/**
 * `Item` (ReturnValuesOnConditionCheckFailure: ALL_OLD) stays in wire form even for lib-dynamodb callers: the
 * document client only unmarshalls successful outputs, never exceptions.
 */
export function conditionalCheckFailed(item: AttributeMap | undefined): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    $metadata: METADATA(),
    message: 'The conditional request failed',
    ...(item ? { Item: item as Record<string, SdkAttributeValue> } : {}),
  });
}

export interface Reason {
  Code: 'None' | 'ConditionalCheckFailed' | 'ValidationError';
  Message?: string;
  Item?: AttributeMap;
}

export function transactionCanceled(reasons: Reason[]): TransactionCanceledException {
  const message = `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`;
  return new TransactionCanceledException({
    $metadata: METADATA(),
    message,
    Message: message,
    CancellationReasons: reasons as CancellationReason[],
  });
}

/** Thrown for requests the model deliberately does not implement (legacy parameters): never mistaken for DynamoDB's answer. */
export function unsupported(what: string): Error {
  const error = new Error(`DynamoDbModel does not implement ${what}`);
  error.name = 'DynamoDbModelUnsupported';
  return error;
}
