/** HTTP API routes of the local stack: a request becomes an API Gateway v2 event for one function. */
import type { ServerResponse } from 'node:http';
import type { LocalRequest } from '../http/router';
import { toHttpApiEvent, writeHttpApiFailure, writeHttpApiResult } from '../http-api';
import { lambdaContext, runHandler, unhandledErrorPayload, type LoadedFunction } from '../lambda-api';

/** An HTTP API route: the request as an API Gateway v2 event, the result written back as API Gateway does. */
export async function httpApi(fn: LoadedFunction, request: LocalRequest, res: ServerResponse): Promise<void> {
  const { definition } = fn;
  const { requestId } = request;
  const routeKey = `${request.raw.method === 'HEAD' ? 'GET' : (request.raw.method ?? 'GET')} ${request.url.pathname}`;
  const event = toHttpApiEvent(request.raw, request.url, routeKey, requestId);
  const context = lambdaContext(definition, requestId, Date.now() + definition.timeoutSeconds * 1000);
  const outcome = await runHandler(fn, event, context);
  if (outcome.kind === 'returned') {
    writeHttpApiResult(res, outcome.value, requestId);
    return;
  }
  const error = unhandledErrorPayload(outcome, requestId, definition.timeoutSeconds);
  request.log('ERROR', 'invocation failed', {
    function: definition.name,
    requestId,
    errorType: error.errorType,
    errorMessage: error.errorMessage,
    stack: error.trace,
  });
  writeHttpApiFailure(res, requestId, outcome.kind === 'timed_out' ? 503 : 500);
}
