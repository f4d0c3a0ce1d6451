/**
 * Parsing the vault's answers: an Invoke payload is shape-checked before anything of it is used, and never quoted
 * (it may hold a token).
 */
import {
  ERROR_CODES,
  type Answer,
  type CompleteAnswer,
  type ErrorAnswer,
  type StatusAnswer,
  type TokenAnswer,
} from './contract';

/** Parses and shape-checks an answer; undefined for anything else. The payload is never quoted (it holds a token). */
export function parseAnswer<T>(
  payload: Uint8Array | undefined,
  okShape: (v: Record<string, unknown>) => T | undefined,
): Answer<T> | undefined {
  if (!payload || payload.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.ok === true) return okShape(v);
  if (v.ok === false && typeof v.error === 'object' && v.error !== null) {
    const e = v.error as Record<string, unknown>;
    if (typeof e.code !== 'string' || !(ERROR_CODES as readonly string[]).includes(e.code)) return undefined;
    return {
      ok: false,
      error: {
        code: e.code as (typeof ERROR_CODES)[number],
        message: typeof e.message === 'string' ? e.message : e.code,
        retryable: e.retryable === true,
        ...(typeof e.retryAfterSeconds === 'number' ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
      },
    } satisfies ErrorAnswer;
  }
  return undefined;
}

export function tokenAnswerOf(v: Record<string, unknown>): TokenAnswer | undefined {
  const ok =
    typeof v.accessToken === 'string' &&
    typeof v.tokenType === 'string' &&
    typeof v.expiresAt === 'string' &&
    !Number.isNaN(Date.parse(v.expiresAt));
  return ok
    ? {
        ok: true,
        accessToken: v.accessToken as string,
        tokenType: v.tokenType as string,
        expiresAt: v.expiresAt as string,
        scope: typeof v.scope === 'string' ? v.scope : '',
      }
    : undefined;
}

export function completeAnswerOf(v: Record<string, unknown>): CompleteAnswer | undefined {
  return typeof v.applicationId === 'string' && typeof v.reconnected === 'boolean'
    ? { ok: true, applicationId: v.applicationId, reconnected: v.reconnected }
    : undefined;
}

export function statusAnswerOf(v: Record<string, unknown>): StatusAnswer | undefined {
  return Array.isArray(v.connections)
    ? { ok: true, connections: v.connections as StatusAnswer['connections'] }
    : undefined;
}
