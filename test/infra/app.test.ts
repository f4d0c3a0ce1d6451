/**
 * The deployable app (infra/app.ts wiring, example configuration): data and service stacks synthesized once,
 * then every requirement of the stacks asserted on the templates, plus cdk-nag, cfn-lint and a secrets scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import {
  applicationsSchema,
  ENCRYPTION_CONTEXT_KEYS,
  ENV,
  FUNCTIONS,
  HTTP_ROUTES,
  TABLES,
  type FunctionKey,
} from '@token-vault/cdk/lib/definitions';
import { TUNABLES, readTunables } from '@token-vault/cdk/lib/definitions/tunables';
import { timingProblems } from '@token-vault/cdk/functions/core/refresh/budget';
import { ANSWER_RESERVE_MS } from '@token-vault/cdk/functions/core/time/deadline';
import { functionTimeouts, refreshTiming } from '@token-vault/cdk/functions/runtime/config';
import { loadDeploymentConfig } from '../../infra/config';
import {
  FUNCTION_ACCESS,
  FUNCTION_KEYS,
  boundVariables,
  functionsWithKeyUsage,
} from '@token-vault/cdk/lib/definitions/access';
import { ACCESS_LOG_FIELDS } from '@token-vault/cdk/lib/constructs/callback-api';
import { SWEEP_PAYLOAD } from '@token-vault/cdk/lib/constructs/token-vault';
import { addComplianceChecks, addTokenVaultStacks, type TokenVaultStacks } from '../../infra/deployment';
import {
  acknowledgements,
  actionsOf,
  cfnLint,
  checkov,
  covers,
  flatten,
  logicalId,
  newTestApp,
  rawNagFindings,
  readValidationReport,
  resourcesOf,
  resourcesOfType,
  roleStatements,
  secretLookingStrings,
  synthesize,
  type Statement,
  type Synthesized,
  type TemplateJson,
} from './support/synth';

let app: App;
let stacks: TokenVaultStacks;
let out: Synthesized;
let data: TemplateJson;
let service: TemplateJson;

beforeAll(() => {
  app = newTestApp();
  const { config } = loadDeploymentConfig((key) => app.node.tryGetContext(key));
  stacks = addTokenVaultStacks(app, config);
  addComplianceChecks(app);
  out = synthesize(app);
  data = out.json[stacks.dataStack.stackName]!;
  service = out.json[stacks.serviceStack.stackName]!;
});

afterAll(() => {
  fs.rmSync(out.outdir, { recursive: true, force: true });
});

/** Logical id of a vault function's Lambda resource. */
function functionId(key: FunctionKey): string {
  return logicalId(stacks.serviceStack.vault.functions[key].function);
}

function roleId(key: FunctionKey): string {
  return logicalId(stacks.serviceStack.vault.functions[key].role);
}

interface FunctionProperties {
  readonly Environment: { readonly Variables: Record<string, unknown> };
  readonly LoggingConfig: { readonly LogGroup: { readonly Ref: string } };
  readonly [property: string]: unknown;
}

function functionProperties(key: FunctionKey): FunctionProperties {
  return service.Resources[functionId(key)]!.Properties as unknown as FunctionProperties;
}

interface StageProperties {
  readonly AccessLogSettings: {
    readonly Format: string;
    readonly DestinationArn: { readonly 'Fn::GetAtt': [string, string] };
  };
  readonly [property: string]: unknown;
}

describe('synthesis', () => {
  it('needs no AWS account or region (environment-agnostic stacks)', () => {
    for (const stack of [stacks.dataStack, stacks.serviceStack]) {
      expect(stack.environment).toBe('aws://unknown-account/unknown-region');
    }
  });

  it('writes exactly the data stack and the service stack', () => {
    expect(Object.keys(out.json).sort()).toEqual(['TokenVault-Data', 'TokenVault-Service']);
  });
});

describe('data stack (stateful)', () => {
  it('is termination-protected', () => {
    expect(stacks.dataStack.terminationProtection).toBe(true);
  });

  it.each(TABLES.map((t) => [t.id, t] as const))(
    'table %s: on demand, PITR, deletion protection, retained, TTL, keys and indexes from the definition',
    (_id, definition) => {
      const table = out.templates['TokenVault-Data']!;
      const keySchema = [
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        ...('sortKey' in definition ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
      ];
      table.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          KeySchema: keySchema,
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
          ...(definition.globalSecondaryIndexes.length > 0
            ? {
                GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
                  IndexName: index.indexName,
                  KeySchema: [
                    { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
                    { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
                  ],
                  Projection: { ProjectionType: index.projection },
                })),
              }
            : {}),
        }),
      });
    },
  );

  it('has two tables and no table-wide provisioned capacity', () => {
    expect(resourcesOfType(data, 'AWS::DynamoDB::Table')).toHaveLength(TABLES.length);
  });

  it('has a customer managed key with rotation and an alias, retained', () => {
    const template = out.templates['TokenVault-Data']!;
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/token-vault/token-vault',
      TargetKeyId: Match.anyValue(),
    });
  });

  describe('key policy', () => {
    let statements: Statement[];
    beforeAll(() => {
      const [[, key]] = resourcesOfType(data, 'AWS::KMS::Key') as [[string, { KeyPolicy: { Statement: Statement[] } }]];
      statements = key.KeyPolicy.Statement;
    });

    const usage = [
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ];
    const matches = (action: string, pattern: string): boolean =>
      pattern === '*' || pattern === action || (pattern.endsWith('*') && action.startsWith(pattern.slice(0, -1)));

    it('lets the account administer the key but not use it (no kms:*)', () => {
      const admin = statements.filter((s) => s.Sid === undefined);
      expect(admin).toHaveLength(1);
      const actions = actionsOf(admin[0]!);
      expect(actions).not.toContain('kms:*');
      for (const action of usage) expect(actions.some((pattern) => matches(action, pattern))).toBe(false);
    });

    it('allows each usage action only in its own statement', () => {
      for (const action of usage) {
        const allowing = statements.filter(
          (s) => s.Effect === 'Allow' && actionsOf(s).some((pattern) => matches(action, pattern)),
        );
        const expected = action === 'kms:Decrypt' || action === 'kms:GenerateDataKey' ? 1 : 0;
        expect({ action, statements: allowing.length }).toEqual({ action, statements: expected });
      }
    });

    it.each([
      ['kms:Decrypt', 'VaultReadersDecrypt'],
      ['kms:GenerateDataKey', 'VaultWritersGenerateDataKey'],
    ] as const)('%s: only the function roles that need it, only with the vault encryption context', (action, sid) => {
      const statement = statements.find((s) => s.Sid === sid)!;
      expect(actionsOf(statement)).toEqual([action]);
      const roleArns = (statement.Condition!.ArnEquals!['aws:PrincipalArn'] as unknown[]).map(flatten);
      const expected = functionsWithKeyUsage(action).map(
        (fn) => `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/token-vault-${FUNCTIONS[fn].name}-<AWS::Region>`,
      );
      expect(roleArns).toEqual(expected);
      expect(statement.Condition!['ForAllValues:StringEquals']).toEqual({
        'kms:EncryptionContextKeys': Object.values(ENCRYPTION_CONTEXT_KEYS),
      });
      expect(statement.Condition!.Null).toEqual(
        Object.fromEntries(
          Object.values(ENCRYPTION_CONTEXT_KEYS).map((key) => [`kms:EncryptionContext:${key}`, 'false']),
        ),
      );
    });

    it('readers are exactly the functions that decrypt, writers exactly those that make data keys', () => {
      // The callback decrypts the live refresh token a reconnect without a new one keeps.
      // The sweep holds no key: it never sees a token. import seals the tokens it stores; it never decrypts (an import
      // always brings its refresh token). complete opens the parked tokens and seals them for the connection.
      expect(functionsWithKeyUsage('kms:Decrypt')).toEqual([
        'callback',
        'tokenFetch',
        'refresh',
        'revoke',
        'refreshWorker',
        'complete',
      ]);
      expect(functionsWithKeyUsage('kms:GenerateDataKey')).toEqual([
        'callback',
        'tokenFetch',
        'refresh',
        'refreshWorker',
        'importConnection',
        'complete',
      ]);
    });
  });

  it('creates one client secret per application, with no value in the template, retained', () => {
    const secrets = resourcesOfType(data, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(stacks.dataStack.data.applications.length);
    for (const [id, properties] of secrets) {
      expect(properties).not.toHaveProperty('SecretString');
      expect(properties).toHaveProperty('GenerateSecretString');
      expect(data.Resources[id]!.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('service stack (stateless)', () => {
  describe.each(FUNCTION_KEYS.map((key) => [FUNCTIONS[key].name, key] as const))('function %s', (_name, key) => {
    const definition = FUNCTIONS[key];

    it('is nodejs24.x on arm64 with the memory and timeout of its definition, traced, JSON logs', () => {
      expect(functionProperties(key)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: definition.memoryMiB,
        Timeout: definition.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' },
      });
    });

    it('logs to its own log group with a retention period', () => {
      const logGroup = functionProperties(key).LoggingConfig.LogGroup.Ref;
      expect(service.Resources[logGroup]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 90 },
      });
    });

    it('sets only variables of packages/cdk/src/definitions (plus NODE_OPTIONS for source maps)', () => {
      const variables = functionProperties(key).Environment.Variables;
      expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
      const known = new Set<string>([
        ...Object.values(ENV),
        ...Object.values(TUNABLES).map((t) => t.env),
        'NODE_OPTIONS',
      ]);
      expect(Object.keys(variables).filter((name) => !known.has(name))).toEqual([]);
    });

    it('times provider calls out well below the function timeout, and sets tunables that fit the refresh time model', () => {
      const variables = functionProperties(key).Environment.Variables as Record<string, string>;
      const providerTimeoutMs = Number(variables[TUNABLES.providerTimeoutMs.env]);
      expect(providerTimeoutMs).toBeGreaterThan(0);
      expect(providerTimeoutMs * 2).toBeLessThanOrEqual(definition.timeoutSeconds * 1000);
      // What the functions check at cold start (a broken combination would fail every invocation).
      expect(timingProblems(refreshTiming(readTunables(variables)), functionTimeouts(), ANSWER_RESERVE_MS)).toEqual([]);
    });

    it('binds exactly the resources its access entry names', () => {
      const variables = functionProperties(key).Environment.Variables;
      const access = FUNCTION_ACCESS[key];
      expect(ENV.STATES_TABLE in variables).toBe(access.statesTable.length > 0);
      expect(ENV.CONNECTIONS_TABLE in variables).toBe(
        access.connectionsTable.length + access.connectionsIndexes.length > 0,
      );
      expect(ENV.KEY_ID in variables).toBe(access.key.length > 0);
      expect(ENV.APPLICATIONS in variables).toBe(true);
      // Exactly what the function requires at cold start.
      const resources = new Set<string>([ENV.STATES_TABLE, ENV.CONNECTIONS_TABLE, ENV.KEY_ID, ENV.APPLICATIONS]);
      expect(
        Object.keys(variables)
          .filter((name) => resources.has(name))
          .sort(),
      ).toEqual([...boundVariables(key)].sort());
    });

    it('has a bundle that is minified, with a source map, the AWS SDK inlined', () => {
      const metadata = service.Resources[functionId(key)]!.Metadata as Record<string, string>;
      const dir = path.join(out.outdir, metadata['aws:asset:path']!);
      const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
      expect(fs.existsSync(path.join(dir, 'index.js.map'))).toBe(true);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
      // Minified: long lines (an unminified bundle averages well under 100 characters per line).
      expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
      // The SDK is inlined (only the optional CRT signer, loaded in a try/catch, stays a bare require).
      expect(code).not.toMatch(/require\(["'](?:@aws-sdk\/client-|@aws-sdk\/lib-|@smithy\/)/);
    });
  });

  it('passes the applications as JSON the functions accept, with secret ARNs (not values) and the callback URL', () => {
    const variables = functionProperties('tokenFetch').Environment.Variables;
    const json = flatten(variables[ENV.APPLICATIONS]);
    const apiId = logicalId(stacks.serviceStack.vault.callbackApi.api);
    const applications = JSON.parse(json) as Record<string, unknown>[];
    const parsed = applicationsSchema.parse(
      applications.map((a) => ({
        ...a,
        clientSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf',
        redirectUri: 'https://x.example/oauth/callback',
      })),
    );
    expect(parsed).toHaveLength(1);
    expect(applications[0]).toMatchObject({
      applicationId: 'default',
      clientSecretId: expect.stringMatching(
        /^<import:TokenVault-Data:ExportsOutputRefDataClientSecretdefault[0-9A-F]+>$/,
      ),
      redirectUri: `<${apiId}.ApiEndpoint>${HTTP_ROUTES.CALLBACK}`,
    });
    expect(Object.keys(applications[0]!)).not.toContain('clientSecret');
  });

  describe('IAM', () => {
    let byRole: Map<string, Statement[]>;
    beforeAll(() => {
      byRole = roleStatements(service);
    });

    const allStatements = (): Statement[] =>
      [...roleStatements(service).values(), ...roleStatements(data).values()].flat();

    it('no Allow statement has a `*` or whole-service action anywhere', () => {
      for (const statement of allStatements().filter((s) => s.Effect === 'Allow')) {
        for (const action of actionsOf(statement)) {
          expect(action).not.toBe('*');
          expect(action).not.toMatch(/:\*$/);
        }
      }
    });

    it('uses `*` resources only for X-Ray (which has no resource-level permissions)', () => {
      for (const statement of allStatements().filter((s) => resourcesOf(s).includes('*'))) {
        expect(actionsOf(statement).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    });

    it('attaches no managed policies to the function roles', () => {
      for (const [, role] of resourcesOfType(service, 'AWS::IAM::Role')) expect(role.ManagedPolicyArns).toBeUndefined();
    });

    it.each(FUNCTION_KEYS)('%s: exactly the actions of its access entry, on exactly its resources', (key) => {
      const access = FUNCTION_ACCESS[key];
      const statements = byRole.get(roleId(key))!;
      const granted = (action: string): string[] =>
        statements
          .filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action))
          .flatMap((s) => resourcesOf(s).map(flatten));
      const dynamoActions = statements.flatMap((s) => actionsOf(s)).filter((a) => a.startsWith('dynamodb:'));
      const expectedDynamo = new Set<string>([
        ...access.statesTable,
        ...access.connectionsTable,
        ...(access.connectionsIndexes.length > 0 ? ['dynamodb:Query'] : []),
      ]);
      expect(new Set(dynamoActions)).toEqual(expectedDynamo);
      // (PutItem and DeleteItem may be granted on the connections table too, by its own entry.)
      for (const action of access.statesTable)
        expect(granted(action)).toContainEqual(expect.stringMatching(/DataOAuthStates.*Arn/));
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem'] as const) {
        if (!(access.statesTable as readonly string[]).includes(action))
          expect(granted(action).filter((r) => /DataOAuthStates/.test(r))).toEqual([]);
      }
      for (const action of access.connectionsTable) {
        expect(granted(action)).toContainEqual(expect.stringMatching(/DataConnections[0-9A-F]+Arn[0-9A-F]+>$/));
      }
      for (const index of access.connectionsIndexes)
        expect(granted('dynamodb:Query')).toContainEqual(expect.stringMatching(new RegExp(`/index/${index}$`)));
      if (!(access.connectionsTable as readonly string[]).includes('dynamodb:Query')) {
        for (const resource of granted('dynamodb:Query')) expect(resource).toMatch(/\/index\//);
      }

      const kms = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      expect(kms.flatMap(actionsOf).sort()).toEqual([...access.key].sort());
      for (const statement of kms) {
        expect(resourcesOf(statement).map(flatten)).toEqual([expect.stringMatching(/DataEnvelopeKey.*Arn/)]);
        expect(statement.Condition!['ForAllValues:StringEquals']).toEqual({
          'kms:EncryptionContextKeys': Object.values(ENCRYPTION_CONTEXT_KEYS),
        });
      }

      const secrets = granted('secretsmanager:GetSecretValue');
      expect(secrets.length > 0).toBe(access.readsClientSecrets);
      for (const secret of secrets) expect(secret).toMatch(/DataClientSecret/);

      const other = statements
        .flatMap(actionsOf)
        .filter((a) => !/^(dynamodb|kms|secretsmanager|xray|logs):/.test(a))
        .sort();
      const work = logicalId(stacks.serviceStack.vault.refreshQueue.queue);
      const deadLetters = logicalId(stacks.serviceStack.vault.deadLetterQueue.queue);
      const sqsResources = (action: string): string[] => [...new Set(granted(action))].sort();
      // The sweep sends work (and its failed asynchronous invocations go to the dead letters) and reads the work
      // queue's depth; the worker has the event source's consumer rights on the work queue. Publishers: PutEvents on
      // the vault's bus and SendMessage on the event retry queue; the drainer (the sweep) receives and deletes there.
      const expectedOther = new Set<string>([
        // The asynchronously invoked functions (the sweep, the audit forwarder) send their failures to the DLQ.
        ...(key === 'sweep' || key === 'auditForwarder'
          ? ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']
          : []),
        ...(key === 'refreshWorker'
          ? [
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              'sqs:ReceiveMessage',
            ]
          : []),
        ...(access.publishesEvents ? ['events:PutEvents', 'sqs:SendMessage'] : []),
        ...(access.drainsEventRetries ? ['sqs:ReceiveMessage', 'sqs:DeleteMessage'] : []),
      ]);
      expect(new Set(other)).toEqual(expectedOther);
      for (const resource of granted('events:PutEvents')) expect(resource).toMatch(/ConnectionEventsBus/);
      if (key === 'sweep') {
        expect(sqsResources('sqs:SendMessage')).toEqual(
          expect.arrayContaining([`<${deadLetters}.Arn>`, `<${work}.Arn>`]),
        );
        for (const resource of granted('sqs:ReceiveMessage')) expect(resource).toMatch(/ConnectionEventsRetryQueue/);
      } else if (key === 'refreshWorker') {
        expect(sqsResources('sqs:ReceiveMessage')).toEqual([`<${work}.Arn>`]);
      } else {
        for (const resource of granted('sqs:ReceiveMessage')) expect(resource).toMatch(/ConnectionEventsRetryQueue/);
      }
    });
  });

  describe('HTTP API', () => {
    it('has GET /oauth/callback as its only route, integrated with the callback function', () => {
      const routes = resourcesOfType(service, 'AWS::ApiGatewayV2::Route');
      expect(routes.map(([, r]) => r.RouteKey)).toEqual([`GET ${HTTP_ROUTES.CALLBACK}`]);
      out.templates['TokenVault-Service']!.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [functionId('callback'), 'Arn'] },
      });
    });

    it('throttles the default stage and writes JSON access logs without the query string', () => {
      const [[, stage]] = resourcesOfType(service, 'AWS::ApiGatewayV2::Stage') as unknown as [
        [string, StageProperties],
      ];
      expect(stage).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      });
      const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
      expect(format).toEqual(ACCESS_LOG_FIELDS);
      expect(stage.AccessLogSettings.Format).not.toMatch(/query|requestOverride|\$request\./i);
      const logGroup = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
      expect(service.Resources[logGroup]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 90 },
      });
    });

    it('lets API Gateway invoke the callback function for that route only', () => {
      const permissions = resourcesOfType(service, 'AWS::Lambda::Permission').filter(
        ([, p]) => p.Principal === 'apigateway.amazonaws.com',
      );
      expect(permissions).toHaveLength(1);
      expect(flatten(permissions[0]![1].SourceArn)).toMatch(new RegExp(`/\\*/\\*${HTTP_ROUTES.CALLBACK}$`));
    });
  });

  describe('refresh schedule', () => {
    it('invokes refresh-sweep every 5 minutes with {"sweep": true}, retries, and a dead-letter queue', () => {
      const queue = logicalId(stacks.serviceStack.vault.deadLetterQueue.queue);
      out.templates['TokenVault-Service']!.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [functionId('sweep'), 'Arn'] },
            Input: JSON.stringify(SWEEP_PAYLOAD),
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 240 },
          }),
        ],
      });
    });

    it("the schedule rule is the sweep's only invoker: its one Lambda permission names the rule, and no other function is invoked by EventBridge", () => {
      const rule = logicalId(stacks.serviceStack.vault.refreshSweep.rule);
      const permissions = resourcesOfType(service, 'AWS::Lambda::Permission');
      const ofSweep = permissions.filter(([, p]) => JSON.stringify(p.FunctionName).includes(functionId('sweep')));
      expect(ofSweep).toHaveLength(1);
      expect(ofSweep[0]![1]).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [rule, 'Arn'] },
      });
      const fromEvents = permissions.filter(([, p]) => p.Principal === 'events.amazonaws.com');
      expect(fromEvents).toEqual(ofSweep);
      // Nor does any role's policy in the template name the sweep (or the worker) as something to invoke.
      for (const statement of [...roleStatements(service).values(), ...roleStatements(data).values()].flat()) {
        if (!actionsOf(statement).includes('lambda:InvokeFunction')) continue;
        for (const resource of resourcesOf(statement).map(flatten))
          expect(resource).not.toMatch(new RegExp(`${functionId('sweep')}|${functionId('refreshWorker')}`));
      }
    });

    it('feeds the refresh worker from the work queue: batches of 10, partial batch failures, bounded concurrency; the queue has its own dead letters after 5 receives', () => {
      const work = logicalId(stacks.serviceStack.vault.refreshQueue.queue);
      out.templates['TokenVault-Service']!.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionId('refreshWorker') },
        EventSourceArn: { 'Fn::GetAtt': [work, 'Arn'] },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
      expect(resourcesOfType(service, 'AWS::Lambda::EventSourceMapping')).toHaveLength(1);
      const deadLetters = logicalId(stacks.serviceStack.vault.refreshQueue.deadLetterQueue);
      out.templates['TokenVault-Service']!.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 180,
        MessageRetentionPeriod: 86400,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters, 'Arn'] }, maxReceiveCount: 5 },
      });
      // The sweep finds the queue by its variable; the worker does not need it.
      const variables = (key: FunctionKey): Record<string, unknown> =>
        (service.Resources[functionId(key)]!.Properties as unknown as FunctionProperties).Environment.Variables;
      expect(variables('sweep')[ENV.REFRESH_QUEUE_URL]).toEqual({ Ref: work });
      for (const key of FUNCTION_KEYS.filter((k) => k !== 'sweep'))
        expect(variables(key)[ENV.REFRESH_QUEUE_URL]).toBeUndefined();
    });

    it('sends failed asynchronous sweep invocations to the same queue, without Lambda retries', () => {
      const queue = logicalId(stacks.serviceStack.vault.deadLetterQueue.queue);
      out.templates['TokenVault-Service']!.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId('sweep') },
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      });
    });

    it('keeps dead letters encrypted and reachable over TLS only', () => {
      const template = out.templates['TokenVault-Service']!;
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 60 * 60,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  });

  it('outputs the callback URL and the name and ARN of each invokable function', () => {
    const outputs = Object.keys(service.Outputs ?? {});
    expect(outputs).toContain('CallbackUrl');
    const invokable = FUNCTION_KEYS.filter((key) => FUNCTIONS[key].invokable);
    expect(invokable).toHaveLength(7);
    for (const name of ['Connect', 'TokenFetch', 'Refresh', 'Revoke', 'Status', 'Import', 'Complete']) {
      expect(outputs).toEqual(expect.arrayContaining([`${name}FunctionName`, `${name}FunctionArn`]));
    }
    expect(flatten(service.Outputs!.CallbackUrl!.Value)).toBe(
      `<${logicalId(stacks.serviceStack.vault.callbackApi.api)}.ApiEndpoint>${HTTP_ROUTES.CALLBACK}`,
    );
  });

  it('outputs the ARN of each created client secret (for put-secret-value)', () => {
    expect(Object.keys(data.Outputs ?? {}).filter((o) => o.startsWith('ClientSecretArn'))).toHaveLength(1);
  });
});

describe('compliance', () => {
  it('cdk-nag AwsSolutions: no unacknowledged finding (errors or warnings)', () => {
    const report = readValidationReport(out.outdir);
    const violations = report.pluginReports.flatMap((r) =>
      r.violations.map((v) => `${r.pluginName}: ${v.ruleName} (${v.severity})`),
    );
    expect(violations).toEqual([]);
  });

  it('cdk-nag: every acknowledgement has a reason and covers a real finding; every finding is acknowledged', () => {
    const acks = acknowledgements(app);
    const findings = rawNagFindings(app);
    for (const ack of acks) {
      expect({ ack: ack.ruleId, reasonLength: ack.reason.length >= 60 }).toEqual({
        ack: ack.ruleId,
        reasonLength: true,
      });
      expect({ ack: `${ack.ruleId} at ${ack.path}`, used: findings.some((f) => covers(ack, f)) }).toEqual({
        ack: `${ack.ruleId} at ${ack.path}`,
        used: true,
      });
    }
    for (const finding of findings) {
      expect({
        finding: `${finding.ruleId} at ${finding.path}`,
        acknowledged: acks.some((a) => covers(a, finding)),
      }).toEqual({
        finding: `${finding.ruleId} at ${finding.path}`,
        acknowledged: true,
      });
    }
    expect([...new Set(acks.map((a) => a.ruleId))].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
  });

  it('cfn-lint (pinned, from .venv): no errors or warnings in any template', () => {
    const result = cfnLint(out.templatePaths);
    expect(result.output).toContain(`cfn-lint: ${out.templatePaths.length} template(s), no findings`);
    expect(result.status).toBe(0);
  });

  it('checkov (pinned, from .venv): no failed check beyond the acknowledged ones in scripts/checkov.yaml', () => {
    const result = checkov(out.templatePaths);
    expect(result.output).toMatch(/Passed checks: [1-9]\d*, Failed checks: 0,/);
    expect(result.status).toBe(0);
  });

  it('no template carries a secret value or a token-looking string', () => {
    for (const [name, template] of Object.entries(out.json)) {
      expect({ name, found: secretLookingStrings(template) }).toEqual({ name, found: [] });
    }
  });

  it('the secret scan does find planted values (so an empty result above means something)', () => {
    const planted: TemplateJson = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Environment: { Variables: { A: 'otesse_rt_def456', B: 'k3J9xQ2mZ7vL1pR8sT4wY6uN0bC5dF2gH' } } },
        },
        Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: 'hunter2' } },
      },
    };
    expect(secretLookingStrings(planted)).toEqual([
      'otesse_rt_def456',
      'k3J9xQ2mZ7vL1pR8sT4wY6uN0bC5dF2gH',
      'SecretString: "hunter2"',
    ]);
  });
});
