/**
 * Seeds `n` active connections straight into the connections table, as the callback would have saved them: tokens
 * sealed by the functions' own TokenSealer (one data key per connection, KMS encryption context and all), the item
 * built from the store's codec, written with BatchWriteItem. 20,000 OAuth flows would take minutes; this takes the
 * KMS calls and the writes only. Each connection is in use (fetched since its token was issued) and its token was
 * issued long enough ago to be due now; the stub provider is told the refresh tokens.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dueAt } from '@token-vault/cdk/functions/core/refresh/policy';
import { dueAttributes, keyOf, tokenAttributes, type Item } from '@token-vault/cdk/functions/core/store/codec';
import type { ConnectionKey } from '@token-vault/cdk/functions/core/store/types';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import type { Container } from '@token-vault/cdk/functions/runtime/container';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import type { StubProvider } from './provider';
import { BusyTimer } from './busy-timer';

/** DynamoDB's BatchWriteItem limit. */
const BATCH = 25;
/** Batches in flight (the emulator serves one request at a time; this overlaps the client-side work). */
const IN_FLIGHT = 8;
/** How long before now the seeded access tokens were issued: 58 of 60 minutes, due under the 5-minute margin. */
const ISSUED_AGO_MS = 58 * 60 * 1000;

export interface Seeded {
  readonly keys: readonly ConnectionKey[];
  readonly totalMs: number;
  /** Busy time of the GenerateDataKey calls, and of the BatchWriteItem calls (they overlap). */
  readonly kmsMs: number;
  readonly writeMs: number;
  /** One seeded item as written (its size feeds the cost model). */
  readonly sample: Item;
}

export async function seedConnections(
  container: Container,
  doc: DynamoDBDocumentClient,
  stub: StubProvider,
  options: { readonly n: number; readonly prefix: string; readonly applicationId: string; readonly table: string },
): Promise<Seeded> {
  const started = performance.now();
  const { table } = options;
  const sealer = container.sealer();
  const marginMs = millis(container.tunables, 'refreshMarginSeconds');
  const keys = Array.from({ length: options.n }, (_, i) => ({
    userId: `${options.prefix}-${i}`,
    applicationId: options.applicationId,
  }));
  const grants: Array<[string, string]> = [];
  let sample: Item | undefined;
  const kms = new BusyTimer();
  const writes = new BusyTimer();

  /** The item the callback would have saved for `key`, its token issued long enough ago to be due now. */
  const sealedItem = async (key: ConnectionKey, deadline: Deadline): Promise<Item> => {
    const refreshToken = randomBytes(24).toString('base64url');
    const issuedAt = Date.now() - ISSUED_AGO_MS;
    const dataKey = await kms.track(() => sealer.newDataKey(key, deadline));
    const response = { accessToken: randomBytes(24).toString('base64url'), tokenType: 'Bearer', expiresIn: 3600 };
    const tokens = sealer.seal(key, { ...response, refreshToken }, { plaintext: refreshToken }, issuedAt, dataKey);
    grants.push([key.userId, refreshToken]);
    const iso = new Date().toISOString();
    return {
      ...keyOf(key),
      status: 'active',
      version: 1,
      connectionId: randomUUID(),
      connectedAt: iso,
      updatedAt: iso,
      lastRefreshAt: iso,
      // In use: fetched after its token was issued, so the `used` policy keeps it ahead of expiry.
      lastFetchedAt: issuedAt + 60_000,
      ...tokenAttributes(tokens),
      ...dueAttributes(key, tokens, dueAt(tokens, marginMs)),
    };
  };

  const seedBatch = async (batch: readonly ConnectionKey[]): Promise<void> => {
    const deadline = Deadline.fromRemaining(60_000, SYSTEM_CLOCK);
    const items: Item[] = [];
    // One KMS call at a time per batch in flight: more would only queue in the emulator, past the SDK's timeout.
    for (const key of batch) items.push(await sealedItem(key, deadline));
    sample ??= items[0];
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const answer = await writes.track(() => doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } })));
      requests = (answer.UnprocessedItems?.[table] ?? []) as typeof requests;
    }
  };

  const batches: ConnectionKey[][] = [];
  for (let i = 0; i < keys.length; i += BATCH) batches.push(keys.slice(i, i + BATCH));
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batches.length) {
        await seedBatch(batches[next++]!);
        done += 1;
        if (done % 100 === 0)
          process.stderr.write(`bench: scale: seeded ${done * BATCH} of ${options.n} connections\n`);
      }
    }),
  );
  for (let i = 0; i < grants.length; i += 5000) await stub.seed(grants.slice(i, i + 5000));
  return { keys, totalMs: performance.now() - started, kmsMs: kms.ms, writeMs: writes.ms, sample: sample! };
}
