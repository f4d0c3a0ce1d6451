/**
 * PutItem, UpdateItem, DeleteItem, TransactWriteItems and BatchWriteItem. Each write is first *planned* from the
 * request alone (every ValidationException DynamoDB raises before reading), then *executed* against the stored
 * item. A transaction plans all its items, then executes all of them against the state before the transaction,
 * and commits only when every one succeeded: all or nothing, with DynamoDB's cancellation reasons otherwise.
 */
import { conditionalCheckFailed, transactionCanceled, validation, type Reason } from './dynamodb-errors';
import { evaluate, project, type Bindings } from './dynamodb-evaluate';
import { applyUpdate, prepareUpdate, type PreparedUpdate } from './dynamodb-update';
import type { Condition, Parsed } from './dynamodb-expressions';
import {
  checkItem,
  expressions,
  readKey,
  refuseLegacy,
  returnOnFailure,
  returnValues,
  table,
  type Request,
} from './dynamodb-requests';
import type { Table } from './dynamodb-table';
import { cloneMap, importMap, type AttributeMap } from './dynamodb-values';

export interface Write {
  readonly table: Table;
  readonly key: string;
  readonly before: AttributeMap | undefined;
  readonly after: AttributeMap | undefined;
}

export interface Store {
  readonly tables: ReadonlyMap<string, Table>;
  /** Applies writes (already validated) and notifies the write listeners. */
  commit(writes: readonly Write[]): void;
}

/**
 * An operation's answer in wire form. Its attribute maps may be the stored ones: the model copies them once on
 * the way out (to wire or native form), never the operations.
 */
export type Output = Record<string, unknown>;

interface Plan {
  readonly kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  readonly table: Table;
  readonly key: string;
  readonly condition: Parsed<Condition> | undefined;
  readonly bindings: Bindings;
  readonly returnOldOnFailure: boolean;
  /** Put: the item to store. Update: the key, the item's base when it does not exist yet. */
  readonly item?: AttributeMap;
  readonly update?: PreparedUpdate;
}

/** The item after a planned write, from the item before it (undefined: no item). May throw ValidationException. */
function nextItem(plan: Plan, before: AttributeMap | undefined): AttributeMap | undefined {
  switch (plan.kind) {
    case 'Put':
      return plan.item;
    case 'Delete':
      return undefined;
    case 'ConditionCheck':
      return before;
    case 'Update': {
      // UpdateItem creates the item (from its key) when it does not exist.
      const base = before ?? plan.item!;
      const after = plan.update ? applyUpdate(plan.update, base, plan.bindings) : { ...base };
      checkItem(plan.table, after, true);
      return after;
    }
  }
}

function planPut(store: Store, req: Request): Plan {
  refuseLegacy(req, LEGACY_CONDITION);
  const t = table(store.tables, req.TableName);
  if (req.Item === undefined || req.Item === null)
    throw validation(
      "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null",
    );
  const item = importMap(req.Item);
  checkItem(t, item);
  const ex = expressions(req, CONDITION);
  return {
    kind: 'Put',
    table: t,
    key: t.encodeKey(item),
    condition: ex.condition,
    bindings: ex.bindings,
    returnOldOnFailure: returnOnFailure(req),
    item,
  };
}

function planUpdate(store: Store, req: Request): Plan {
  refuseLegacy(req, LEGACY_UPDATE);
  const t = table(store.tables, req.TableName);
  const { key, encoded } = readKey(t, req.Key);
  const ex = expressions(req, UPDATE);
  const update = ex.update && prepareUpdate(ex.update.ast, ex.bindings, t.keyNames);
  return {
    kind: 'Update',
    table: t,
    key: encoded,
    condition: ex.condition,
    bindings: ex.bindings,
    returnOldOnFailure: returnOnFailure(req),
    item: key,
    ...(update ? { update } : {}),
  };
}

function planDelete(store: Store, req: Request, kind: 'Delete' | 'ConditionCheck' = 'Delete'): Plan {
  refuseLegacy(req, LEGACY_CONDITION);
  const t = table(store.tables, req.TableName);
  const { encoded } = readKey(t, req.Key);
  const ex = expressions(req, CONDITION);
  return {
    kind,
    table: t,
    key: encoded,
    condition: ex.condition,
    bindings: ex.bindings,
    returnOldOnFailure: returnOnFailure(req),
  };
}

const LEGACY_CONDITION = ['Expected', 'ConditionalOperator'];
const LEGACY_UPDATE = ['Expected', 'ConditionalOperator', 'AttributeUpdates'];
const CONDITION = ['ConditionExpression'] as const;
const UPDATE = ['UpdateExpression', 'ConditionExpression'] as const;

/** Runs a plan against the stored item: the condition, then the new item (nothing is stored yet). */
function execute(plan: Plan): Write {
  const before = plan.table.items.get(plan.key);
  if (plan.condition && !evaluate(plan.condition.ast, before, plan.bindings)) {
    throw conditionalCheckFailed(plan.returnOldOnFailure && before ? cloneMap(before) : undefined);
  }
  return { table: plan.table, key: plan.key, before, after: nextItem(plan, before) };
}

function commitOne(store: Store, write: Write): void {
  if (write.before || write.after) store.commit([write]);
}

export function putItem(store: Store, req: Request): Output {
  const rv = returnValues(req.ReturnValues, ['ALL_OLD']);
  const write = execute(planPut(store, req));
  commitOne(store, write);
  return rv === 'ALL_OLD' && write.before ? { Attributes: write.before } : {};
}

export function deleteItem(store: Store, req: Request): Output {
  const rv = returnValues(req.ReturnValues, ['ALL_OLD']);
  const write = execute(planDelete(store, req));
  commitOne(store, write);
  return rv === 'ALL_OLD' && write.before ? { Attributes: write.before } : {};
}

export function updateItem(store: Store, req: Request): Output {
  const rv = returnValues(req.ReturnValues, ['ALL_OLD', 'ALL_NEW', 'UPDATED_OLD', 'UPDATED_NEW']);
  const plan = planUpdate(store, req);
  const write = execute(plan);
  commitOne(store, write);
  const { before, after } = write;
  let attributes: AttributeMap | undefined;
  if (rv === 'ALL_OLD') attributes = before;
  else if (rv === 'ALL_NEW') attributes = after;
  else if (rv === 'UPDATED_OLD') attributes = before && plan.update ? project(before, plan.update.paths) : undefined;
  else if (rv === 'UPDATED_NEW') attributes = after && plan.update ? project(after, plan.update.paths) : undefined;
  // DynamoDB leaves Attributes out rather than answering an empty map.
  return attributes && Object.keys(attributes).length ? { Attributes: attributes } : {};
}

const TRANSACTION_KINDS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;

function listOf(raw: unknown, what: string, max: number): Request[] {
  if (!Array.isArray(raw))
    throw validation(
      `1 validation error detected: Value null at '${what}' failed to satisfy constraint: Member must not be null`,
    );
  if (raw.length < 1 || raw.length > max) {
    throw validation(
      `1 validation error detected: Value '${raw.length}' at '${what}' failed to satisfy constraint: Member must have length less than or equal to ${max} and greater than or equal to 1`,
    );
  }
  return raw as Request[];
}

/** DynamoDB refuses two operations on one item in one request. */
export function refuseDuplicates(targets: ReadonlyArray<{ table: Table; key: string }>, message: string): void {
  const seen = new Set<string>();
  for (const { table: t, key } of targets) {
    const id = `${t.schema.name}\u0000${key}`;
    if (seen.has(id)) throw validation(message);
    seen.add(id);
  }
}

export function transactWriteItems(store: Store, req: Request): Output {
  const plans = listOf(req.TransactItems, 'transactItems', 100).map((entry) => {
    const kinds = TRANSACTION_KINDS.filter((k) => entry[k] !== undefined);
    if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0]!;
    const op = entry[kind] as Request;
    if (kind === 'Put') return planPut(store, op);
    if (kind === 'Update') {
      if (op.UpdateExpression === undefined)
        throw validation(
          "1 validation error detected: Value null at 'transactItems.member.update.updateExpression' failed to satisfy constraint: Member must not be null",
        );
      return planUpdate(store, op);
    }
    if (kind === 'ConditionCheck' && op.ConditionExpression === undefined) {
      throw validation(
        "1 validation error detected: Value null at 'transactItems.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
      );
    }
    return planDelete(store, op, kind);
  });
  refuseDuplicates(plans, 'Transaction request cannot include multiple operations on one item');
  // Every item is evaluated against the state before the transaction (the items are distinct, so no item of
  // the transaction can see another's effect anyway), and every failure is reported, in item order.
  const writes: Write[] = [];
  const reasons: Reason[] = [];
  let failed = false;
  for (const plan of plans) {
    try {
      writes.push(execute(plan));
      reasons.push({ Code: 'None' });
    } catch (error) {
      failed = true;
      const e = error as { name?: string; message: string; Item?: AttributeMap };
      if (e.name === 'ConditionalCheckFailedException')
        reasons.push({ Code: 'ConditionalCheckFailed', Message: e.message, ...(e.Item ? { Item: e.Item } : {}) });
      else if (e.name === 'ValidationException') reasons.push({ Code: 'ValidationError', Message: e.message });
      else throw error;
    }
  }
  if (failed) throw transactionCanceled(reasons);
  store.commit(writes.filter((w, i) => plans[i]!.kind !== 'ConditionCheck' && (w.before || w.after)));
  return {};
}

export function batchWriteItem(store: Store, req: Request): Output {
  const requests = req.RequestItems;
  if (!requests || typeof requests !== 'object')
    throw validation(
      "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
    );
  const plans: Plan[] = [];
  for (const [tableName, list] of Object.entries(requests as Record<string, unknown>)) {
    for (const entry of listOf(list, `requestItems.${tableName}.member`, 25)) {
      const put = entry.PutRequest as Request | undefined;
      const del = entry.DeleteRequest as Request | undefined;
      if (!put === !del)
        throw validation(
          'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
        );
      plans.push(
        put
          ? planPut(store, { TableName: tableName, Item: put.Item })
          : planDelete(store, { TableName: tableName, Key: del!.Key }),
      );
    }
  }
  if (plans.length > 25)
    throw validation(
      "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length less than or equal to 25",
    );
  refuseDuplicates(plans, 'Provided list of item keys contains duplicates');
  store.commit(plans.map(execute).filter((w) => w.before || w.after));
  return { UnprocessedItems: {} };
}
