/**
 * Seeded random differential test: a few hundred random command sequences (test/sim/dynamodb-random.ts), each
 * on fresh tables, run on moto and on the model; every outcome, every page of every read, and the final table
 * contents must agree. Reproduce a failure with DYNAMODB_RANDOM_SEED=<seed> DYNAMODB_RANDOM_SEQUENCES=1; search
 * wider with DYNAMODB_RANDOM_SEED, DYNAMODB_RANDOM_SEQUENCES (default 300) and DYNAMODB_RANDOM_STEPS (default 16).
 *
 * Three differences are accepted, all where moto deviates from DynamoDB:
 *  - an update inside a transaction that fails on the item's data (e.g. `a + :n` with `a` missing): moto raises
 *    a ValidationException, DynamoDB cancels the transaction with a `ValidationError` reason for the item;
 *  - ReturnValues UPDATED_OLD / UPDATED_NEW: moto answers the top-level attributes whose value *changed* (for
 *    a new item, the key attributes too; for a map, only its changed entries), DynamoDB the attributes the
 *    update *named*, whole, changed or not. Compared on the changed non-key ones;
 *  - an update DynamoDB refuses whatever the item (it names a key attribute, or two overlapping paths) but with
 *    a condition that fails: moto evaluates the condition first (ConditionalCheckFailedException), DynamoDB
 *    validates the request first (ValidationException);
 * (and the empty last page, see Differential.samePages).
 */
import { isDeepStrictEqual } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../../local/aws-clients';
import { startEmulator, type Emulator } from '../../local/emulator';
import { Differential, newPair, normalize, type Accept, type Outcome } from './dynamodb-differential';
import { generate, Rng } from './dynamodb-random';

const SEQUENCES = Number(process.env.DYNAMODB_RANDOM_SEQUENCES ?? 300);
const FIRST_SEED = Number(process.env.DYNAMODB_RANDOM_SEED ?? 1);
const STEPS = Number(process.env.DYNAMODB_RANDOM_STEPS ?? 16);
const KEYS = ['userId', 'applicationId'];
const GROUPS = Math.min(10, SEQUENCES);

let emulator: Emulator;
let ddb: DynamoDBClient;
let diff: Differential;
let commands = 0;

beforeAll(async () => {
  // A moto of its own: the shared one serves one request at a time (local/moto_server.py), and these thousands of
  // requests would otherwise slow every test file running beside this one.
  const shared = process.env.AWS_ENDPOINT_URL;
  delete process.env.AWS_ENDPOINT_URL;
  try {
    emulator = await startEmulator();
  } finally {
    process.env.AWS_ENDPOINT_URL = shared;
  }
  ddb = new DynamoDBClient(awsClientConfig(emulator.endpoint));
  diff = new Differential({
    ddb,
    doc: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
  });
}, 60_000);

afterAll(async () => {
  console.log(
    `dynamodb-random: ${SEQUENCES} sequences, ${commands} commands, ${diff.compared} outcomes compared, ${diff.deviations} accepted deviations, ${diff.emptyLastPages} empty last pages`,
  );
  ddb?.destroy();
  await emulator?.stop();
});

const transactionValidation: Accept = (model, moto) =>
  'error' in model &&
  'error' in moto &&
  model.error.name === 'TransactionCanceledException' &&
  moto.error.name === 'ValidationException' &&
  (model.error.CancellationReasons as Array<{ Code: string }>).some((r) => r.Code === 'ValidationError');

/** An update DynamoDB refuses outright (key attribute, overlapping paths), whose condition moto evaluates first. */
const invalidAfterCondition: Accept = (model, moto) =>
  'error' in model &&
  model.error.name === 'ValidationException' &&
  'error' in moto &&
  moto.error.name === 'ConditionalCheckFailedException';

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** `part` is `whole` with some map entries left out, at any depth (moto's diff of a map that was SET whole). */
function diffOf(part: unknown, whole: unknown): boolean {
  if (isMap(part) && isMap(whole))
    return Object.entries(part).every(([k, v]) => Object.hasOwn(whole, k) && diffOf(v, whole[k]));
  return isDeepStrictEqual(normalize(part), normalize(whole));
}

/**
 * UPDATED_OLD / UPDATED_NEW compared on the non-key attributes whose value changed (see above), where moto may
 * also answer a map attribute with only its changed entries.
 */
function changedOnly(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  rv: unknown,
): Accept {
  const state = rv === 'UPDATED_OLD' ? before : after;
  const strip = (o: Outcome): unknown => {
    if (!('output' in o)) return normalize(o);
    const attributes = Object.entries((o.output.Attributes ?? {}) as Record<string, unknown>)
      .filter(([k]) => !KEYS.includes(k) && !isDeepStrictEqual(normalize(before?.[k]), normalize(after?.[k])))
      .map(([k, v]) => [k, isMap(v) && diffOf(v, state?.[k]) ? state?.[k] : v]);
    return normalize({ output: { ...o.output, Attributes: Object.fromEntries(attributes) } });
  };
  return (model, moto) => isDeepStrictEqual(strip(model), strip(moto));
}

async function sequence(seed: number): Promise<void> {
  const rng = new Rng(seed);
  const pair = await newPair(diff.clients, 'random');
  for (let step = 0; step < STEPS; step++) {
    const { command, updated, invalid } = generate(rng, pair);
    commands++;
    const key = (command.input as { Key?: Record<string, unknown> }).Key;
    const before = updated && key ? pair.model.get(pair.c, key) : undefined;
    let after: Record<string, unknown> | undefined;
    const accept: Accept = (model, moto, c) => {
      if (transactionValidation(model, moto, c)) return true;
      if (invalid) return invalidAfterCondition(model, moto, c);
      if (!updated || !key) return false;
      after ??= pair.model.get(pair.c, key);
      return changedOnly(before, after, (c.input as { ReturnValues?: string }).ReturnValues)(model, moto, c);
    };
    try {
      await diff.samePages(pair, command, accept);
    } catch (error) {
      throw new Error(`seed ${seed}, step ${step}: ${(error as Error).message}`);
    }
  }
  await diff.sameState(pair);
}

describe('random command sequences agree with moto', () => {
  const groups = Array.from({ length: GROUPS }, (_, g) => g);
  test.each(groups)(
    'group %i',
    async (g) => {
      for (let i = g; i < SEQUENCES; i += GROUPS) await sequence(FIRST_SEED + i);
    },
    120_000,
  );
});
