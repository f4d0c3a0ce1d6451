/**
 * `GET /revocations`: the revocation records of the local connections table (who, when, why, whether the provider
 * confirmed), oldest first, paged with `?cursor=` (the `cursor` of the previous answer) and `?limit=` (1-100,
 * default 25). The records never carry token material (ConnectionStore.listRevocations).
 */
import type { ServerResponse } from 'node:http';
import { sendNoStore } from '../http/respond';
import type { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import type { RevocationRecord } from '@token-vault/cdk/functions/core/store/types';
import { CONNECTIONS_TABLE } from '@token-vault/cdk/src/definitions/tables';

export const DEFAULT_REVOCATIONS_LIMIT = 25;
export const MAX_REVOCATIONS_LIMIT = 100;

/** The answer of `GET /revocations`. */
export interface RevocationsPage {
  readonly records: readonly RevocationRecord[];
  /** Present when more records follow: pass it as `?cursor=`. */
  readonly cursor?: string;
}

/** A request the route refuses (400). */
export class RevocationsQueryError extends Error {
  override readonly name = 'RevocationsQueryError';
}

/** Reads `limit` and `cursor` from the query string. */
export function parseRevocationsQuery(params: URLSearchParams): { limit: number; cursor: string | undefined } {
  const rawLimit = params.get('limit');
  let limit = DEFAULT_REVOCATIONS_LIMIT;
  if (rawLimit !== null) {
    if (!/^\d{1,3}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_REVOCATIONS_LIMIT) {
      throw new RevocationsQueryError(`limit must be an integer from 1 to ${MAX_REVOCATIONS_LIMIT}`);
    }
    limit = Number(rawLimit);
  }
  const cursor = params.get('cursor') ?? undefined;
  if (cursor !== undefined && !validCursor(cursor))
    throw new RevocationsQueryError('cursor is not one this server handed out');
  return { limit, cursor };
}

/** Attributes of a key of the records index (the table's key plus the index's), by DynamoDB type. */
const RECORDS_INDEX_KEY = (() => {
  const index = CONNECTIONS_TABLE.globalSecondaryIndexes.find((i) => i.indexName === 'records-by-kind');
  if (!index) throw new Error('no records-by-kind index in CONNECTIONS_TABLE');
  const attributes = [CONNECTIONS_TABLE.partitionKey, CONNECTIONS_TABLE.sortKey, index.partitionKey, index.sortKey];
  return new Map<string, string>(attributes.map((a) => [a.name, a.type]));
})();

/**
 * A cursor of ConnectionStore.listRevocations: base64url of the JSON of a key of the records index (exactly its
 * attributes, strings for S and numbers for N), so nothing else ever reaches DynamoDB as a start key.
 */
function validCursor(cursor: string): boolean {
  if (cursor.length === 0 || cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  const entries = Object.entries(parsed);
  return (
    entries.length === RECORDS_INDEX_KEY.size &&
    entries.every(([name, value]) => {
      const type = RECORDS_INDEX_KEY.get(name);
      return (type === 'S' && typeof value === 'string') || (type === 'N' && typeof value === 'number');
    })
  );
}

/** One page of revocation records, each reduced to exactly the fields of a RevocationRecord. */
export async function revocationsPage(
  store: ConnectionStore,
  limit: number,
  cursor: string | undefined,
): Promise<RevocationsPage> {
  const page = await store.listRevocations(Deadline.fromRemaining(10_000, SYSTEM_CLOCK, 0), {
    limit,
    ...(cursor !== undefined ? { cursor } : {}),
  });
  const records = page.records.map((r): RevocationRecord => ({
    userId: r.userId,
    applicationId: r.applicationId,
    revokedAt: r.revokedAt,
    reason: r.reason,
    providerConfirmed: r.providerConfirmed,
  }));
  return page.cursor ? { records, cursor: page.cursor } : { records };
}

/** Answers `GET /revocations` (JSON). */
export async function serveRevocations(
  store: ConnectionStore,
  params: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  let query: { limit: number; cursor: string | undefined };
  try {
    query = parseRevocationsQuery(params);
  } catch (error) {
    if (!(error instanceof RevocationsQueryError)) throw error;
    json(res, 400, { message: error.message });
    return;
  }
  let page: RevocationsPage;
  try {
    page = await revocationsPage(store, query.limit, query.cursor);
  } catch (error) {
    // A well-formed cursor that is no key of the index: DynamoDB refuses it.
    if (query.cursor !== undefined && isValidationError(error)) {
      json(res, 400, { message: 'cursor is not one this server handed out' });
      return;
    }
    throw error;
  }
  json(res, 200, page);
}

function isValidationError(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { name?: unknown } | undefined) : undefined;
  return cause?.name === 'ValidationException';
}

function json(res: ServerResponse, status: number, value: unknown): void {
  sendNoStore(res, status, 'application/json', JSON.stringify(value));
}
