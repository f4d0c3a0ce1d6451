/**
 * Differential tests of the DynamoDB model (test/sim/dynamodb-model.ts) against moto: every hand-written case
 * (dynamodb-cases-*.ts) runs its commands on fresh moto tables and on a fresh model, and every outcome (output
 * or exception name, the old item of a failed condition, the cancellation reasons of a transaction), every page
 * of a paged read, and the final contents of both tables must be equal.
 *
 * Where moto deviates from DynamoDB, the model follows DynamoDB and the case carries the reason (`deviates`):
 * the model is then checked against DynamoDB's documented behaviour, and moto is checked to still differ (a
 * fixed moto makes the test say so). What moto 5.2.5 gets wrong, by the cases:
 *  - validation it skips: unused ExpressionAttributeValues outside UpdateItem; index keys of the wrong type;
 *    empty-string keys in UpdateItem; keys of the wrong type in GetItem; overlapping projection paths; reversed
 *    BETWEEN bounds; unknown attribute_type names; begins_with with a number; a filter on a key attribute; an
 *    ExclusiveStartKey outside the queried partition; a key condition value of the wrong type; an unknown index
 *    (ValidationException, not ResourceNotFoundException); key updates whose condition fails (it checks the
 *    condition first); a SET below a string;
 *  - evaluation: a missing attribute equals NULL; binaries compared as base64 text; no byte subsequences in
 *    contains(); HTTP 500 (its internal errors) on `<` between a string and a number, on size() of a missing
 *    attribute, on `NOT NOT`, on UpdateItem without UpdateExpression, and on several malformed expressions;
 *  - answers: two elements of one list in a projection (it keeps one); ProjectionExpression in TransactGetItems
 *    (ignored); UPDATED_OLD / UPDATED_NEW (it diffs whole items instead of returning the named paths); a
 *    transaction item failing on the item's data (ValidationException instead of a ValidationError
 *    cancellation reason); a Limit-ed page ending at the last item (no LastEvaluatedKey; DynamoDB returns one,
 *    and the next page is empty: see Differential.samePages).
 */
import { isDeepStrictEqual } from 'node:util';
import { freshResources, type FreshResources } from '../support/aws';
import { ITEM_CASES, type Case } from './dynamodb-cases-items';
import { both, Differential, newPair, normalize } from './dynamodb-differential';
import { QUERY_CASES } from './dynamodb-cases-queries';
import { STORE_CASES } from './dynamodb-cases-store';

let res: FreshResources;
let diff: Differential;

beforeAll(async () => {
  res = await freshResources();
  diff = new Differential({ ddb: res.ddb, doc: res.doc });
});

afterAll(() => {
  console.log(
    `dynamodb-model differential: ${diff.compared} outcomes equal to moto's; ${verifiedDeviations} cases where moto deviates from DynamoDB; ` +
      `${diff.emptyLastPages} final pages where only DynamoDB returns a LastEvaluatedKey`,
  );
  res?.close();
});

let verifiedDeviations = 0;

async function runCase(c: Case): Promise<void> {
  const pair = await newPair(diff.clients, res.prefix);
  for (const command of c.setup?.(pair) ?? []) await diff.same(pair, command);
  if (c.deviation) {
    // moto answers differently from DynamoDB here: the model is checked against DynamoDB's behaviour instead,
    // and moto is checked to still differ (so a fixed moto turns the deviation back into a comparison).
    const outcomes = [];
    let differs = false;
    for (const command of c.run(pair)) {
      const { model, moto } = await both(pair, diff.clients, command);
      outcomes.push(model);
      differs ||= !isDeepStrictEqual(normalize(model), normalize(moto));
    }
    c.deviation.expect(outcomes);
    expect({ reason: c.deviation.reason, motoDiffers: differs }).toEqual({
      reason: c.deviation.reason,
      motoDiffers: true,
    });
    verifiedDeviations++;
    return;
  }
  for (const command of c.run(pair)) await (c.paginate ? diff.samePages(pair, command) : diff.same(pair, command));
  await diff.sameState(pair);
}

describe('items and conditions, compared with moto', () => {
  test.each(ITEM_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await runCase(c);
  });
});

describe('queries, scans and transactions, compared with moto', () => {
  test.each(QUERY_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await runCase(c);
  });
});

describe("the stores' commands, compared with moto", () => {
  test.each(STORE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await runCase(c);
  });
});
