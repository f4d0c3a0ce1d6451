/**
 * Binding a vault function to a resource sets the resource's environment variable and the narrowest grant together
 * (a function never gets a resource's name without its permission, or the reverse). {@link bindAccess} applies one
 * function's row of FUNCTION_ACCESS.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { FunctionAccess, KeyUsage, TableAction } from '../definitions/access';
import { ENV } from '../definitions/env';
import { CONNECTIONS_TABLE, STATES_TABLE, type TableDefinition } from '../definitions/tables';
import type { ConnectionEvents } from './connection-events';
import { encryptionContextConditions } from './envelope-key';
import { TokenVaultConfigError } from './errors';
import type { VaultFunction } from './vault-function';

/** Environment variable that carries each table's name. */
const TABLE_ENV: Readonly<Record<string, string>> = {
  [CONNECTIONS_TABLE.id]: ENV.CONNECTIONS_TABLE,
  [STATES_TABLE.id]: ENV.STATES_TABLE,
};

/** Options of {@link bindTable}. */
interface BindTableOptions {
  readonly table: dynamodb.ITable;
  /** Which table it is; selects the environment variable. */
  readonly definition: TableDefinition;
  /** Actions on the table itself (item ARN = table ARN). */
  readonly actions: TableAction[];
  /**
   * Indexes this function queries; `dynamodb:Query` is granted on each index ARN only.
   * @default - none
   */
  readonly queryIndexes?: string[];
}

/** Sets the table's name variable and grants exactly `actions` on it (and Query on `queryIndexes`). */
export function bindTable(self: VaultFunction, options: BindTableOptions): VaultFunction {
  const variable = TABLE_ENV[options.definition.id];
  if (variable === undefined) {
    throw new TokenVaultConfigError(`No environment variable is defined for table "${options.definition.id}".`);
  }
  const known = new Set(options.definition.globalSecondaryIndexes.map((index) => index.indexName));
  for (const index of options.queryIndexes ?? []) {
    if (!known.has(index)) throw new TokenVaultConfigError(`Table "${options.definition.id}" has no index "${index}".`);
  }
  self.function.addEnvironment(variable, options.table.tableName);
  if (options.actions.length > 0) {
    self.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...options.actions], resources: [options.table.tableArn] }),
    );
  }
  const indexArns = (options.queryIndexes ?? []).map((index) => `${options.table.tableArn}/index/${index}`);
  if (indexArns.length > 0) {
    self.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: indexArns }));
  }
  return self;
}

/**
 * Sets the key variable and grants `usage` on the key, only with the vault's encryption context. The key
 * policy carries the same conditions; this side keeps them if that policy is ever widened.
 */
export function bindKey(self: VaultFunction, key: kms.IKey, usage: KeyUsage[]): VaultFunction {
  if (usage.length === 0) return self;
  self.function.addEnvironment(ENV.KEY_ID, key.keyArn);
  self.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...usage],
      resources: [key.keyArn],
      conditions: encryptionContextConditions(),
    }),
  );
  return self;
}

/**
 * Sets the applications variable (JSON of the functions' ApplicationConfig, tokens allowed) and, when
 * `readSecrets`, grants secretsmanager:GetSecretValue on exactly these secrets.
 */
export function bindApplications(
  self: VaultFunction,
  applicationsJson: string,
  secrets: secretsmanager.ISecret[],
  readSecrets: boolean,
): VaultFunction {
  self.function.addEnvironment(ENV.APPLICATIONS, applicationsJson);
  if (readSecrets && secrets.length > 0) {
    self.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: secrets.map((s) => s.secretArn),
      }),
    );
  }
  return self;
}

/** The vault's resources a function can be bound to. */
export interface VaultResources {
  readonly statesTable: dynamodb.ITable;
  readonly connectionsTable: dynamodb.ITable;
  readonly key: kms.IKey;
  /** JSON of the functions' ApplicationConfig (see toApplicationConfigs). */
  readonly applicationsJson: string;
  readonly clientSecrets: secretsmanager.ISecret[];
  readonly connectionEvents: ConnectionEvents;
}

/** Binds `fn` to exactly the resources and actions its row of FUNCTION_ACCESS names (README "Least privilege"). */
export function bindAccess(fn: VaultFunction, access: FunctionAccess, resources: VaultResources): void {
  if (access.statesTable.length > 0) {
    bindTable(fn, { table: resources.statesTable, definition: STATES_TABLE, actions: [...access.statesTable] });
  }
  if (access.connectionsTable.length > 0 || access.connectionsIndexes.length > 0) {
    bindTable(fn, {
      table: resources.connectionsTable,
      definition: CONNECTIONS_TABLE,
      actions: [...access.connectionsTable],
      queryIndexes: [...access.connectionsIndexes],
    });
  }
  bindKey(fn, resources.key, [...access.key]);
  bindApplications(fn, resources.applicationsJson, resources.clientSecrets, access.readsClientSecrets);
  if (access.publishesEvents) resources.connectionEvents.bindPublisher(fn);
  if (access.drainsEventRetries) resources.connectionEvents.bindDrainer(fn);
}
