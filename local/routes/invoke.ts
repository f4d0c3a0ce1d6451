/** The Lambda Invoke API route of the local stack: `POST /2015-03-31/functions/{name}/invocations`. */
import type { ServerResponse } from 'node:http';
import { SCOPED_FUNCTION_KEYS, applicationAlias, isVersionQualifier } from '@token-vault/cdk/src/definitions/aliases';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { BodyTooLargeError, MAX_BODY_BYTES, type LocalRequest, type LocalRoute } from '../http/router';
import {
  functionArn,
  invocationType,
  INVOKE_PATH,
  InvokeApiError,
  lambdaContext,
  parseFunctionName,
  parsePayload,
  runHandler,
  sendInvokeError,
  unhandledErrorPayload,
  type InvocationOutcome,
  type LoadedFunction,
} from '../lambda-api';

/**
 * `POST /2015-03-31/functions/{name}/invocations`, the Lambda Invoke API, for the given functions (exported so
 * tests can serve stand-in functions under another path; group 1 of `path` must capture the name).
 */
export function invokeRoute(
  functions: ReadonlyMap<string, LoadedFunction>,
  path: RegExp = INVOKE_PATH,
  aliases: (functionName: string) => readonly string[] = () => [],
): LocalRoute {
  return { method: 'POST', path, handle: (request, res) => invoke(functions, request, res, aliases) };
}

/**
 * The aliases each function has, as the construct deploys them: one per application on the scoped functions
 * (definitions/aliases.ts). There is no IAM locally: the function's own check is what serves only the alias's
 * application; an alias that does not exist is not found, as in Lambda.
 */
export function aliasesOf(applicationIds: readonly string[]): (functionName: string) => readonly string[] {
  const scoped = new Set<string>(SCOPED_FUNCTION_KEYS.map((key) => FUNCTIONS[key].name));
  const names = applicationIds.map(applicationAlias);
  return (functionName) => (scoped.has(functionName) ? names : []);
}

async function invoke(
  functions: ReadonlyMap<string, LoadedFunction>,
  request: LocalRequest,
  res: ServerResponse,
  aliases: (functionName: string) => readonly string[],
): Promise<void> {
  const { requestId } = request;
  const rawName = safeDecode(request.match?.[1] ?? '');
  const ref = parseFunctionName(rawName);
  const fn = ref && functions.get(ref.name);
  if (!ref || !fn) {
    const shown = ref ? functionArn(ref.name, ref.qualifier) : rawName;
    sendInvokeError(
      res,
      requestId,
      new InvokeApiError(404, 'ResourceNotFoundException', `Function not found: ${shown}`),
    );
    return;
  }
  const type = invocationType(request.raw);
  if (!type) {
    const message =
      "1 validation error detected: Value at 'invocationType' failed to satisfy constraint: " +
      'Member must satisfy enum value set: [Event, RequestResponse, DryRun]';
    sendInvokeError(res, requestId, new InvokeApiError(400, 'InvalidParameterValueException', message));
    return;
  }

  let payload: unknown;
  try {
    payload = parsePayload(await request.body());
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      const message = `Request must be smaller than ${MAX_BODY_BYTES} bytes for the InvokeFunction operation`;
      res.setHeader('connection', 'close');
      sendInvokeError(res, requestId, new InvokeApiError(413, 'RequestTooLargeException', message));
      return;
    }
    if (err instanceof InvokeApiError) {
      sendInvokeError(res, requestId, err);
      return;
    }
    throw err;
  }

  const qualifier = ref.qualifier ?? (request.url.searchParams.get('Qualifier') || undefined);
  const { definition } = fn;
  if (qualifier !== undefined && !isVersionQualifier(qualifier) && !aliases(definition.name).includes(qualifier)) {
    sendInvokeError(
      res,
      requestId,
      new InvokeApiError(
        404,
        'ResourceNotFoundException',
        `Function not found: ${functionArn(definition.name, qualifier)}`,
      ),
    );
    return;
  }
  const baseHeaders = { 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' };
  if (type === 'DryRun') {
    res.writeHead(204, baseHeaders).end();
    return;
  }
  const context = lambdaContext(definition, requestId, Date.now() + definition.timeoutSeconds * 1000, qualifier);
  if (type === 'Event') {
    // Accepted at once; the function runs afterwards and its failure only shows in the log, as in Lambda.
    res.writeHead(202, baseHeaders).end();
    invocationAnswer(fn, await runHandler(fn, payload, context), request);
    return;
  }

  const answer = invocationAnswer(fn, await runHandler(fn, payload, context), request);
  res.writeHead(200, {
    ...baseHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(answer.payload),
    ...(answer.unhandled ? { 'x-amz-function-error': 'Unhandled' } : {}),
  });
  res.end(answer.payload);
}

/**
 * The Invoke answer for an outcome: the result as JSON, or the runtime's error document (logged) when the
 * handler threw, timed out or returned something JSON cannot carry.
 */
function invocationAnswer(
  fn: LoadedFunction,
  outcome: InvocationOutcome,
  request: LocalRequest,
): { payload: string; unhandled: boolean } {
  const { definition } = fn;
  let error: Record<string, unknown>;
  if (outcome.kind === 'returned') {
    try {
      return { payload: JSON.stringify(outcome.value) ?? 'null', unhandled: false };
    } catch {
      error = {
        errorType: 'Runtime.MarshalError',
        errorMessage: 'Unable to marshal response: result is not JSON-serializable',
      };
    }
  } else {
    error = unhandledErrorPayload(outcome, request.requestId, definition.timeoutSeconds);
  }
  request.log('ERROR', 'invocation failed', {
    function: definition.name,
    requestId: request.requestId,
    errorType: error.errorType,
    errorMessage: error.errorMessage,
    stack: error.trace,
  });
  return { payload: JSON.stringify(error), unhandled: true };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
