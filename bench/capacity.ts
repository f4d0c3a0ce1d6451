/**
 * The capacity and cost model of proactive refresh (bench/cost-model/), printed by `npm run bench` and by
 * `npm run bench -- scale`: for 10k, 100k and 1M connections, refreshes per second needed and available and the
 * monthly Lambda, DynamoDB, KMS, SQS and EventBridge costs; and the cost per 10,000 users per month with the
 * deployed default policy beside `all` (the sweep refreshing everything, as before issue 15), in one run. Inputs:
 * the deployed defaults (read from the construct and the definitions), this run's measured calls per refresh and
 * item size (the scale run's worker when it ran, else the refresh bench), and the printed usage assumptions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf } from '@token-vault/cdk/functions/core/store/codec';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { awsClientConfig } from '../local/aws-clients';
import { capacityFigures, capacityNotes } from './cost-model/capacity-report';
import { deployedDefaults } from './cost-model/deployed';
import { itemBytes } from './cost-model/item-size';
import type { RefreshMeasure } from './cost-model/refresh-model';
import { USAGE } from './cost-model/usage';
import { fetchSideMonthly, FETCH_SIDE_ASSUMPTIONS } from './cost';
import { refreshStats } from './refresh';
import type { Section } from './report';
import { scaleFigures } from './scale';
import type { LevelFigures } from './scale/workers';
import type { BenchStack } from './stack';
import { warmFetchStats } from './warm-fetch';

/** DynamoDB calls per refresh by command, and KMS Decrypt calls per refresh, from `Service.Command` counts. */
export function perRefresh(
  calls: Readonly<Record<string, number>>,
  refreshes: number,
): { dynamo: Record<string, number>; decrypt: number } {
  const dynamo: Record<string, number> = {};
  for (const [name, n] of Object.entries(calls)) {
    // The counter names commands as the SDK does (`GetItemCommand`); the model uses the API's names.
    const [service, command] = name.split('.');
    const api = command?.replace(/Command$/, '');
    if (service === 'DynamoDB' && api) dynamo[api] = (dynamo[api] ?? 0) + n / refreshes;
  }
  const decrypt = (calls['KMS.Decrypt'] ?? 0) + (calls['KMS.DecryptCommand'] ?? 0);
  return { dynamo, decrypt: decrypt / refreshes };
}

function fromScale(levels: readonly LevelFigures[], bytes: number): RefreshMeasure {
  const calls: Record<string, number> = {};
  let refreshed = 0;
  for (const level of levels) {
    refreshed += level.outcomes.refreshed ?? 0;
    for (const [name, n] of Object.entries(level.calls)) calls[name] = (calls[name] ?? 0) + n;
  }
  const { dynamo, decrypt } = perRefresh(calls, refreshed);
  return {
    source: `measured: the scale run's ${refreshed} worker refreshes (each container's data-key cache cold, as an hourly refresh finds it)`,
    dynamo,
    decryptPerRefresh: decrypt,
    itemBytes: bytes,
  };
}

async function fromRefreshBench(stack: BenchStack): Promise<RefreshMeasure> {
  const { on } = await refreshStats(stack);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(process.env.AWS_ENDPOINT_URL)));
  try {
    const { Item } = await doc.send(
      new GetCommand({
        TableName: stack.env[ENV.CONNECTIONS_TABLE]!,
        Key: keyOf({ userId: 'refresh-on', applicationId: 'default' }),
        ConsistentRead: true,
      }),
    );
    const { dynamo } = perRefresh(on.calls, on.refreshes);
    return {
      source:
        `measured: the refresh bench's ${on.refreshes} refreshes (token-fetch path) and its connection item; ` +
        "Decrypt per refresh assumed 1 (the worker's data-key cache keeps a key 15 minutes, a connection is refreshed about hourly)",
      dynamo,
      decryptPerRefresh: 1,
      itemBytes: Item ? itemBytes(Item) : Number.NaN,
    };
  } finally {
    doc.destroy();
  }
}

export async function measureCapacity(stack: BenchStack): Promise<Section> {
  const scale = scaleFigures(stack);
  const measure = scale ? fromScale([scale.ceiling, ...scale.levels], scale.itemBytes) : await fromRefreshBench(stack);
  const warm = await warmFetchStats(stack);
  const deployed = deployedDefaults();
  const fetchSide = fetchSideMonthly(warm.on, USAGE.users);
  return {
    title: `capacity and cost model of proactive refresh: deployed defaults (policy ${deployed.policy}) beside policy all, us-east-1 list prices`,
    off: 'policy all (the sweep refreshes every connection)',
    figures: capacityFigures(deployed, measure, USAGE, fetchSide),
    notes: capacityNotes(deployed, measure, USAGE, fetchSide, FETCH_SIDE_ASSUMPTIONS),
  };
}
