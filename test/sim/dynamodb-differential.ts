/**
 * Differential testing of the DynamoDB model against moto: fresh table pairs (moto tables and a model with the
 * same schemas), running one command on both, and comparing outcomes in a normalised form (no $metadata or
 * capacity fields; numbers in canonical text; string/number sets as sorted arrays).
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONNECTIONS_TABLE, STATES_TABLE } from '@token-vault/cdk/src/definitions/tables';
import { createTableInput } from '../../local/provision';
import { DynamoDbModel, schemasFromDefinitions } from './dynamodb-model';
import { normalizeNumber } from './dynamodb-values';

export interface Clients {
  readonly ddb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
}

export interface Pair {
  readonly model: DynamoDbModel;
  /** Physical table names, the same in moto and in the model. */
  readonly c: string;
  readonly s: string;
}

let tables = 0;

/** New, empty tables in moto (from the project's definitions) and a model with the same schemas. */
export async function newPair(clients: Clients, prefix: string): Promise<Pair> {
  const id = `${prefix}${(tables++).toString(36)}`;
  const c = `${id}-Connections`;
  const s = `${id}-OAuthStates`;
  await Promise.all([
    clients.ddb.send(new CreateTableCommand(createTableInput(c, CONNECTIONS_TABLE))),
    clients.ddb.send(new CreateTableCommand(createTableInput(s, STATES_TABLE))),
  ]);
  return { model: new DynamoDbModel(schemasFromDefinitions({ connections: c, states: s })), c, s };
}

export type Command = { input: unknown; constructor: { name: string } };

export type Outcome =
  { output: Record<string, unknown> } | { error: { name: string; Item?: unknown; CancellationReasons?: unknown } };

function errorOutcome(e: unknown): Outcome {
  const error = e as { name: string; Item?: unknown; CancellationReasons?: unknown };
  return {
    error: {
      name: error.name,
      ...(error.Item ? { Item: error.Item } : {}),
      ...(error.CancellationReasons ? { CancellationReasons: error.CancellationReasons } : {}),
    },
  };
}

export function isDocumentCommand(command: Command): boolean {
  return 'clientCommand' in command;
}

export function onModel(model: DynamoDbModel, command: Command): Outcome {
  try {
    return { output: model.apply(command) };
  } catch (e) {
    return errorOutcome(e);
  }
}

export async function onMoto(clients: Clients, command: Command): Promise<Outcome> {
  try {
    const client = (isDocumentCommand(command) ? clients.doc : clients.ddb) as {
      send(command: never): Promise<unknown>;
    };
    return { output: (await client.send(command as never)) as Record<string, unknown> };
  } catch (e) {
    return errorOutcome(e);
  }
}

const DROPPED = new Set(['$metadata', 'ConsumedCapacity', 'ItemCollectionMetrics']);

/** A comparable copy: capacity and metadata dropped, wire numbers canonical, sets sorted, reasons without messages. */
export function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof Set) return [...value].map(normalize).sort();
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (DROPPED.has(k) || v === undefined) continue;
      if (k === 'N' && typeof v === 'string') out[k] = normalizeNumber(v);
      else if ((k === 'NS' || k === 'SS') && Array.isArray(v))
        out[k] = (v as string[]).map((x) => (k === 'NS' ? normalizeNumber(x) : x)).sort();
      else if (k === 'Message' && 'Code' in value)
        continue; // cancellation reason wording is not compared
      else out[k] = normalize(v);
    }
    return out;
  }
  return value;
}

/** Runs a command on the model, then on moto (the model must not depend on anything moto's send changes). */
export async function both(pair: Pair, clients: Clients, command: Command): Promise<{ model: Outcome; moto: Outcome }> {
  const model = onModel(pair.model, command);
  const moto = await onMoto(clients, command);
  return { model, moto };
}

/** Decides whether a difference between the model and moto is a known deviation of moto's (and counts it). */
export type Accept = (model: Outcome, moto: Outcome, command: Command) => boolean;

const startingAfter = (command: Command, key: unknown): Command =>
  new (command.constructor as new (input: unknown) => Command)({
    ...(command.input as object),
    ExclusiveStartKey: key,
  });
const lastKey = (o: Outcome): unknown => ('output' in o ? o.output.LastEvaluatedKey : undefined);

/** Compares the model with moto command by command, and counts what it compared. */
export class Differential {
  compared = 0;
  deviations = 0;
  emptyLastPages = 0;

  constructor(readonly clients: Clients) {}

  /** Runs one command on both; their normalised outcomes must be equal (or `accept`ed as a known deviation). */
  async same(pair: Pair, command: Command, accept?: Accept): Promise<{ model: Outcome; moto: Outcome }> {
    const r = await both(pair, this.clients, command);
    this.check(r.model, r.moto, command, accept);
    return r;
  }

  private check(model: Outcome, moto: Outcome, command: Command, accept: Accept | undefined, page?: number): void {
    this.compared++;
    const m = normalize(model);
    const o = normalize(moto);
    if (!isDeepStrictEqual(m, o) && accept?.(model, moto, command)) {
      this.deviations++;
      return;
    }
    expect({ command: describeCommand(command), page, outcome: m }).toEqual({
      command: describeCommand(command),
      page,
      outcome: o,
    });
  }

  /**
   * Follows a Query or Scan page by page (any other command is compared once), each side with its own
   * LastEvaluatedKey. One deviation is allowed: when a Limit-ed page ends exactly at the last item, DynamoDB still
   * returns a LastEvaluatedKey (it stops counting before it knows nothing follows) and the next page is empty;
   * moto leaves the key out.
   */
  async samePages(pair: Pair, command: Command, accept?: Accept): Promise<void> {
    let forModel = command;
    let forMoto = command;
    for (let page = 0; page < 100; page++) {
      const model = onModel(pair.model, forModel);
      const moto = await onMoto(this.clients, forMoto);
      const modelKey = lastKey(model);
      if (modelKey && !lastKey(moto) && 'output' in model) {
        const { LastEvaluatedKey: _dropped, ...rest } = model.output;
        this.check({ output: rest }, moto, forModel, accept, page);
        const next = onModel(pair.model, startingAfter(command, modelKey));
        expect({ emptyLastPage: next }).toMatchObject({ emptyLastPage: { output: { Count: 0 } } });
        expect(lastKey(next)).toBeUndefined();
        this.emptyLastPages++;
        return;
      }
      this.check(model, moto, forModel, accept, page);
      if (!modelKey || !lastKey(moto)) return;
      forModel = startingAfter(command, modelKey);
      forMoto = startingAfter(command, lastKey(moto));
    }
    throw new Error('more than 100 pages');
  }

  /** Both tables hold the same items (the model's snapshot against a consistent scan of moto). */
  async sameState(pair: Pair): Promise<void> {
    for (const table of [pair.c, pair.s]) {
      const moto: Array<Record<string, unknown>> = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.clients.doc.send(
          new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
        );
        moto.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      expect({ table, items: normalize(pair.model.items(table)) }).toEqual({ table, items: normalize(moto) });
    }
  }
}

export function describeCommand(command: Command): string {
  return `${command.constructor.name} ${JSON.stringify(command.input, (_k, v: unknown) => (v instanceof Set ? { Set: [...(v as Set<unknown>)] } : v instanceof Uint8Array ? { B: Buffer.from(v).toString('hex') } : v))}`;
}
