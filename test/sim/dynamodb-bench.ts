/**
 * Throughput of the DynamoDB model on the store's hottest write shape (a conditional lease-style UpdateItem):
 * `npx tsx test/sim/dynamodb-bench.ts`. Commands are built outside the timed part, in batches, so the figure is
 * the model's own cost (the SDK's command constructor is the caller's).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbModel, schemasFromDefinitions } from './dynamodb-model';

const TABLE = 'bench-Connections';
const model = new DynamoDbModel(schemasFromDefinitions({ connections: TABLE, states: 'bench-OAuthStates' }));
const key = { userId: 'u', applicationId: 'a' };
model.apply(
  new UpdateCommand({
    TableName: TABLE,
    Key: key,
    UpdateExpression: 'SET version = :z, #s = :a',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':z': 0, ':a': 'active' },
  }),
);

const command = (i: number): UpdateCommand =>
  new UpdateCommand({
    TableName: TABLE,
    Key: key,
    UpdateExpression: 'SET #v = #v + :one, leaseOwner = :o',
    ConditionExpression: '#v = :cv AND #s = :active',
    ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
    ExpressionAttributeValues: { ':one': 1, ':o': `owner-${i}`, ':cv': i, ':active': 'active' },
  });

let applied = 0;
let nanoseconds = 0n;
for (let batch = 0; batch < 200; batch++) {
  const commands = Array.from({ length: 1000 }, () => command(applied++));
  const started = process.hrtime.bigint();
  for (const c of commands) model.apply(c);
  nanoseconds += process.hrtime.bigint() - started;
}
console.log(
  `${applied} conditional UpdateItem applications: ${Math.round(applied / (Number(nanoseconds) / 1e9))} per second`,
);
