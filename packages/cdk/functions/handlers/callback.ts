/**
 * callback (HTTP API `GET /oauth/callback`): completes the flow and sends the browser to `returnTo` with
 * `status=connected` or `status=error&error=CODE`, or shows a small page. Never echoes a token, a code, a
 * provider's error text or an internal error.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { parseCallbackQuery } from '../runtime/callback-query';
import { callbackResponse } from '../runtime/callback-response';
import { Container } from '../runtime/container';
import { invocationDeadline } from '../runtime/invoke-handler';
import { logger, vaultLogger } from '../runtime/powertools';
import { describeError } from '../core/observability';
import type { CallbackOutcome } from '../core/vault/authorization-types';
import { FUNCTIONS } from '../../src/definitions/functions';

const vault = new Container(process.env, 'callback');

const base = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  const params = parseCallbackQuery(event);
  if (!params) return callbackResponse({ status: 'error', error: 'invalid_request', reason: 'invalid_request' });
  let outcome: CallbackOutcome;
  try {
    outcome = await vault.authorization().complete(params, invocationDeadline(context));
  } catch (error) {
    vaultLogger.error('Callback failed.', describeError(error));
    outcome = { status: 'error', error: 'internal_error', reason: 'internal' };
  }
  // The audit trail: a connection made (unbound) or tokens parked (session binding), or a refusal.
  try {
    vault.audit().record({
      fn: FUNCTIONS.callback.name,
      requestId: context.awsRequestId,
      ...(outcome.status === 'error' ? {} : { userId: outcome.userId }),
      ...(outcome.applicationId === undefined ? {} : { applicationId: outcome.applicationId }),
      outcome: outcome.status === 'error' ? 'refused' : outcome.status,
      ...(outcome.status === 'error' ? { errorCode: outcome.error } : {}),
    });
  } catch (error) {
    vaultLogger.error('The audit record could not be written.', describeError(error));
  }
  return callbackResponse(outcome);
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>(base).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
