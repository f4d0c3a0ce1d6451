/**
 * `TokenVault` as a user drops it into their own CDK app: one stack, an imported client secret next to a created
 * one, an alarm e-mail, and other Lambdas granted access. Configuration errors are checked first, without
 * synthesizing (they must fail before anything is bundled).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ENV, FUNCTIONS } from '@token-vault/cdk/lib/definitions';
import { loadDeploymentConfig } from '../../infra/config';
import {
  RevocationBody,
  TokenEndpointAuth,
  TokenVault,
  TokenVaultConfigError,
  TokenVaultData,
  type TokenVaultProps,
} from '@token-vault/cdk';
import { addComplianceChecks } from '../../infra/deployment';
import {
  actionsOf,
  cfnLint,
  flatten,
  logicalId,
  newTestApp,
  readValidationReport,
  resourcesOf,
  resourcesOfType,
  roleStatements,
  secretLookingStrings,
  synthesize,
  type Synthesized,
  type TemplateJson,
} from './support/synth';

const IMPORTED_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otesse-client-AbCdEf';

describe('configuration errors (thrown before anything is built)', () => {
  const build = (props: Partial<TokenVaultProps> & Record<string, unknown>): (() => void) => {
    return () => {
      const stack = new Stack(new App(), 'S');
      new TokenVault(stack, 'Vault', { applications: [{ clientId: 'client' }], ...props });
    };
  };

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no application', { applications: [] }, /applications: at least one application is required/],
    [
      'a bad application id',
      { applications: [{ applicationId: 'has space', clientId: 'c' }] },
      /applications\[has space\]\.applicationId/,
    ],
    [
      'duplicate application ids',
      { applications: [{ clientId: 'a' }, { clientId: 'b' }] },
      /applicationId values must be unique/,
    ],
    [
      'a non-http URL',
      { applications: [{ clientId: 'c', tokenUrl: 'ftp://x.example/token' }] },
      /applications\[default\]\.tokenUrl: must be an http\(s\) URL/,
    ],
    ['a bad returnTo', { returnTo: ['not a url'] }, /applications\[default\]\.returnTo\.0: "not a url" is not a URL/],
    [
      'a partial secret ARN',
      {
        applications: [
          { clientId: 'c', clientSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otesse' },
        ],
      },
      /is not a complete secret ARN/,
    ],
    [
      'timeouts under which a whole refresh cannot fit token-fetch',
      { providerTimeoutMs: 12_000 },
      /break the refresh time model: .*token-fetch's timeout \(20000 ms\) must cover a read and a whole refresh: at least 20300 ms/,
    ],
    [
      'a lease too short for one attempt and its write',
      { refreshLeaseSeconds: 8 },
      /the refresh lease \(8000 ms\) must cover the preparation, one provider attempt, the write and the clock skew: at least 10000 ms/,
    ],
    [
      'a provider timeout out of bounds',
      { providerTimeoutMs: 60_000 },
      /providerTimeoutMs must be an integer from 100 to 30000 \(milliseconds\)/,
    ],
    [
      'a lookahead shorter than the sweep interval',
      { sweepInterval: Duration.minutes(15) },
      /sweepLookaheadSeconds: 600 is shorter than the sweep interval \(900 s\)/,
    ],
    [
      'a sweep interval in seconds',
      { sweepInterval: Duration.seconds(90) },
      /sweepInterval: .* must be a whole number of minutes from 1 to 60/,
    ],
    [
      'a negative margin',
      { refreshMarginSeconds: -1 },
      /refreshMarginSeconds must be an integer from 0 to 86400 \(seconds\)/,
    ],
    [
      'both alarm topic and e-mail',
      { alarmEmail: 'ops@example.com', alarmTopic: {} },
      /alarmTopic and alarmEmail are mutually exclusive/,
    ],
    ['a bad e-mail', { alarmEmail: 'ops' }, /alarmEmail: "ops" is not an e-mail address/],
    ['a bad vault name', { name: 'has_underscore' }, /name: "has_underscore" must be 1-32 characters/],
  ])('rejects %s', (_case, props, message) => {
    expect(build(props)).toThrow(TokenVaultConfigError);
    expect(build(props)).toThrow(message);
  });

  it('rejects a configuration file with an unknown field, naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-vault-config-'));
    fs.writeFileSync(
      path.join(dir, 'vault.json'),
      JSON.stringify({ applications: [{ clientId: 'c' }], alarmEmial: 'x@example.com' }),
    );
    const context: Record<string, unknown> = { config: 'vault.json' };
    expect(() => loadDeploymentConfig((key) => context[key], dir)).toThrow(/Unrecognized key: "alarmEmial"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads -c config=FILE and lets -c applications=JSON replace its applications', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-vault-config-'));
    fs.writeFileSync(
      path.join(dir, 'vault.json'),
      JSON.stringify({ name: 'acme', applications: [{ clientId: 'from-file' }] }),
    );
    const context: Record<string, unknown> = {
      config: 'vault.json',
      applications: '[{"applicationId":"crm","clientId":"from-cli"}]',
    };
    const { config, source } = loadDeploymentConfig((key) => context[key], dir);
    expect(source).toBe(path.join(dir, 'vault.json'));
    expect(config).toMatchObject({
      name: 'acme',
      stackPrefix: 'TokenVault',
      terminationProtection: true,
      applications: [{ applicationId: 'crm', clientId: 'from-cli' }],
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('TokenVault in a single user stack', () => {
  let app: App;
  let stack: Stack;
  let vault: TokenVault;
  let out: Synthesized;
  let template: TemplateJson;
  const consumers: Record<'fetch' | 'connect' | 'refresh' | 'revoke' | 'complete', lambda.Function> = {} as never;

  beforeAll(() => {
    app = newTestApp();
    stack = new Stack(app, 'UserApp');
    vault = new TokenVault(stack, 'TokenVault', {
      name: 'acme',
      applications: [
        {
          applicationId: 'default',
          clientId: 'otesse-client',
          clientSecretArn: IMPORTED_SECRET_ARN,
          scopes: ['read', 'write'],
        },
        {
          applicationId: 'crm',
          clientId: 'crm-client',
          authorizeUrl: 'https://idp.example.com/authorize',
          tokenUrl: 'https://idp.example.com/token',
          revocationUrl: 'https://idp.example.com/revoke',
          issuer: 'https://idp.example.com',
          revocationBody: RevocationBody.FORM,
          tokenEndpointAuth: TokenEndpointAuth.CLIENT_SECRET_BASIC,
          returnTo: ['https://crm.example.com/settings'],
        },
      ],
      returnTo: ['https://app.example.com/integrations'],
      alarmEmail: 'ops@example.com',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const name of ['fetch', 'connect', 'refresh', 'revoke', 'complete'] as const) {
      // A consumer with a bare role, so that the only statement on it is the vault's grant.
      const role = new iam.Role(stack, `ConsumerRole-${name}`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      consumers[name] = new lambda.Function(stack, `Consumer-${name}`, {
        role,
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      });
    }
    vault.grantFetch(consumers.fetch);
    vault.grantConnect(consumers.connect);
    vault.grantRefresh(consumers.refresh);
    vault.grantRevoke(consumers.revoke);
    vault.grantComplete(consumers.complete);
    addComplianceChecks(app);
    out = synthesize(app);
    template = out.json.UserApp!;
  });

  afterAll(() => {
    fs.rmSync(out.outdir, { recursive: true, force: true });
  });

  it('creates a secret only for the application without clientSecretArn, and reads the imported one by its exact ARN', () => {
    expect(resourcesOfType(template, 'AWS::SecretsManager::Secret')).toHaveLength(1);
    const fetchStatements = roleStatements(template).get(logicalId(vault.functions.tokenFetch.role))!;
    const secretResources = fetchStatements
      .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
      .flatMap(resourcesOf);
    expect(secretResources).toEqual([IMPORTED_SECRET_ARN, { Ref: logicalId(vault.data.clientSecret('crm')) }]);
  });

  it("puts each application in the functions' configuration with its own settings and the defaults filled in", () => {
    const fn = template.Resources[logicalId(vault.functions.connect.function)]!.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    const applications = JSON.parse(flatten(fn.Environment.Variables[ENV.APPLICATIONS])) as Record<string, unknown>[];
    const callbackUrl = `<${logicalId(vault.callbackApi.api)}.ApiEndpoint>/oauth/callback`;
    expect(applications).toEqual([
      {
        applicationId: 'default',
        authorizeUrl: 'https://auth.otesse.com/oauth/authorize',
        tokenUrl: 'https://auth.otesse.com/oauth/token',
        revocationUrl: 'https://auth.otesse.com/oauth/revoke',
        clientId: 'otesse-client',
        clientSecretId: IMPORTED_SECRET_ARN,
        scopes: ['read', 'write'],
        tokenEndpointAuth: 'client_secret_post',
        revocationBody: 'json',
        redirectUri: callbackUrl,
        returnTo: ['https://app.example.com/integrations'],
      },
      {
        applicationId: 'crm',
        authorizeUrl: 'https://idp.example.com/authorize',
        tokenUrl: 'https://idp.example.com/token',
        revocationUrl: 'https://idp.example.com/revoke',
        issuer: 'https://idp.example.com',
        clientId: 'crm-client',
        clientSecretId: `<${logicalId(vault.data.clientSecret('crm'))}>`,
        scopes: [],
        tokenEndpointAuth: 'client_secret_basic',
        revocationBody: 'form',
        redirectUri: callbackUrl,
        returnTo: ['https://crm.example.com/settings'],
      },
    ]);
  });

  it.each([
    ['grantFetch', 'fetch', 'tokenFetch'],
    ['grantConnect', 'connect', 'connect'],
    ['grantRefresh', 'refresh', 'refresh'],
    ['grantRevoke', 'revoke', 'revoke'],
    ['grantComplete', 'complete', 'complete'],
  ] as const)('%s gives lambda:InvokeFunction on exactly that function', (_method, consumer, fn) => {
    const statements = roleStatements(template).get(logicalId(consumers[consumer].role as iam.Role))!;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId(vault.functions[fn].function), 'Arn'] },
      },
    ]);
  });

  it('names the function roles after the vault so the key policy can name them', () => {
    for (const key of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
      const role = template.Resources[logicalId(vault.functions[key].role)]!.Properties!;
      expect(flatten(role.RoleName)).toBe(`acme-${FUNCTIONS[key].name}-<AWS::Region>`);
    }
  });

  it('honours removalPolicy DESTROY (no deletion protection, nothing retained)', () => {
    for (const [id, properties] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      expect(properties.DeletionProtectionEnabled).toBe(false);
      expect(template.Resources[id]!.DeletionPolicy).toBe('Delete');
    }
  });

  it('creates an encrypted alarm topic for the e-mail, reachable over TLS only, that CloudWatch can publish to', () => {
    const t = out.templates.UserApp!;
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
    expect(vault.alarmTopic).toBeDefined();
  });

  it('passes cdk-nag, cfn-lint and the secrets scan', () => {
    expect(readValidationReport(out.outdir).pluginReports.flatMap((r) => r.violations)).toEqual([]);
    const lint = cfnLint(out.templatePaths);
    expect(lint.output).toContain('no findings');
    expect(lint.status).toBe(0);
    expect(secretLookingStrings(template)).toEqual([]);
  });
});

describe('TokenVault with data from another stack', () => {
  it('reuses the given data and builds no stateful resource of its own', () => {
    const app = new App();
    const dataStack = new Stack(app, 'Data');
    const data = new TokenVaultData(dataStack, 'Data', { applications: [{ clientId: 'c' }], name: 'split' });
    const serviceStack = new Stack(app, 'Service');
    // Bundling is skipped for this structural check: only the construct tree is inspected.
    serviceStack.node.setContext('aws:cdk:bundling-stacks', []);
    const vault = new TokenVault(serviceStack, 'Vault', { data });
    expect(vault.data).toBe(data);
    const kinds = serviceStack.node.findAll().map((c) => c.constructor.name);
    expect(kinds).not.toContain('Table');
    expect(kinds).not.toContain('Secret');
    expect(kinds).not.toContain('Key');
  });
});
