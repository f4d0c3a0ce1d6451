/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) as the local stack serves it: enough of
 * AWS's behaviour that `@aws-sdk/client-lambda` cannot tell the difference for the vault's functions.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { FunctionDefinition } from '@token-vault/cdk/src/definitions/functions';

/** A handler as the local stack calls it: `(event, context)`, answering a promise. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** A function definition with its loaded handler. */
export interface LoadedFunction {
  readonly definition: FunctionDefinition;
  readonly handler: LambdaHandler;
}

/** Path of the Invoke API; group 1 is the (percent-encoded) function name, ARN or partial ARN. */
export const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Account id in the ARNs the local stack makes up (moto's default account). */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** Version every local invocation runs. */
const LATEST = '$LATEST';

/** An error answer of the Invoke API: HTTP status, `x-amzn-ErrorType` and message. */
export class InvokeApiError extends Error {
  override readonly name = 'InvokeApiError';

  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Value of `x-amzn-ErrorType`: the SDK's exception name. */
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The function name and qualifier found in the `{name}` path segment. */
export interface FunctionReference {
  readonly name: string;
  readonly qualifier: string | undefined;
}

/**
 * Parses what AWS accepts as `FunctionName`: `name`, `name:qualifier`, `123456789012:function:name[:qualifier]`
 * or `arn:aws:lambda:region:123456789012:function:name[:qualifier]`. Undefined when it is none of those.
 */
export function parseFunctionName(value: string): FunctionReference | undefined {
  const parts = value.split(':');
  const at = parts.indexOf('function');
  const [name, qualifier, ...rest] = at >= 0 ? parts.slice(at + 1) : parts;
  if (!name || rest.length > 0) return undefined;
  if (at >= 0 && !(at === 1 || (at === 5 && parts[0] === 'arn'))) return undefined;
  return { name, qualifier: qualifier || undefined };
}

/** The ARN AWS would report for a local function (region from `AWS_REGION`). */
export function functionArn(name: string, qualifier?: string): string {
  const region = process.env.AWS_REGION || 'us-east-1';
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
}

/**
 * A Lambda context like the Node.js runtime's. The deprecated `done`/`fail`/`succeed` throw: the vault's
 * handlers are async and answer by returning.
 */
export function lambdaContext(
  fn: FunctionDefinition,
  requestId: string,
  deadline: number,
  qualifier?: string,
): Context {
  const unsupported = (method: string) => (): never => {
    throw new Error(`context.${method}() is not supported by the local stack: return from the async handler`);
  };
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: LATEST,
    invokedFunctionArn: functionArn(fn.name, qualifier),
    memoryLimitInMB: String(fn.memoryMiB),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `${day}/[${LATEST}]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** How an invocation ended. */
export type InvocationOutcome =
  | { readonly kind: 'returned'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timed_out' };

/**
 * Runs a handler with the function's timeout. On timeout the answer is given at once, as in Lambda; the
 * handler's promise is left to settle on its own (a local process cannot freeze it).
 */
export async function runHandler(fn: LoadedFunction, event: unknown, context: Context): Promise<InvocationOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<InvocationOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timed_out' }), context.getRemainingTimeInMillis());
  });
  const run = (async (): Promise<InvocationOutcome> => {
    try {
      return { kind: 'returned', value: await fn.handler(event, context) };
    } catch (error) {
      return { kind: 'threw', error };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error document of the Node.js runtime for an unhandled error (`X-Amz-Function-Error: Unhandled`). */
export function unhandledErrorPayload(
  outcome: InvocationOutcome,
  requestId: string,
  timeoutSeconds: number,
): Record<string, unknown> {
  if (outcome.kind === 'timed_out') {
    return {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
    };
  }
  const error = outcome.kind === 'threw' ? outcome.error : undefined;
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error) };
}

/** Writes an Invoke API error the way the SDK expects it (restJson1: `x-amzn-ErrorType` plus `message`). */
export function sendInvokeError(res: ServerResponse, requestId: string, error: InvokeApiError): void {
  const body = JSON.stringify({ Type: 'User', message: error.message });
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': error.type,
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

/** Invocation types of the Invoke API. */
export const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'] as const;
export type InvocationType = (typeof INVOCATION_TYPES)[number];

/** Reads `X-Amz-Invocation-Type` (default RequestResponse); undefined when the value is not one AWS knows. */
export function invocationType(req: IncomingMessage): InvocationType | undefined {
  const raw = req.headers['x-amz-invocation-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return 'RequestResponse';
  return (INVOCATION_TYPES as readonly string[]).includes(value) ? (value as InvocationType) : undefined;
}

/**
 * Parses an Invoke payload: any JSON value; an empty payload is `{}` (as when the AWS CLI invokes without
 * `--payload`).
 *
 * @throws InvokeApiError like AWS's InvalidRequestContentException
 */
export function parsePayload(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'invalid JSON';
    throw new InvokeApiError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${detail}`,
    );
  }
}

/** A fresh request id (Lambda's are UUIDs). */
export function newRequestId(): string {
  return randomUUID();
}
