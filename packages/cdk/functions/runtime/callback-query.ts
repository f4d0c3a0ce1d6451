/**
 * Reads the callback's query string defensively: bounded sizes, each parameter at most once (API Gateway joins
 * repeated parameters with commas, which no legitimate state or code contains), printable ASCII only.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CallbackParameters } from '../core/vault/authorization-types';

/** Longest accepted parameter value; authorization codes are far shorter in practice. */
const MAX_PARAM_LENGTH = 2048;
const MAX_QUERY_LENGTH = 8192;
const SAFE_VALUE = /^[\x21-\x7E]+$/;

export function parseCallbackQuery(
  event: Pick<APIGatewayProxyEventV2, 'rawQueryString'>,
): CallbackParameters | undefined {
  const raw = event.rawQueryString ?? '';
  if (raw.length > MAX_QUERY_LENGTH) return undefined;
  const query = new URLSearchParams(raw);
  const out: Record<string, string> = {};
  for (const name of ['code', 'state', 'iss', 'error'] as const) {
    const values = query.getAll(name);
    if (values.length > 1) return undefined;
    const value = values[0];
    if (value === undefined) continue;
    if (value.length === 0 || value.length > MAX_PARAM_LENGTH || !SAFE_VALUE.test(value)) return undefined;
    out[name] = value;
  }
  return out;
}
