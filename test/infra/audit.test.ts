/**
 * The audit trail's infrastructure (README "Audit trail"): a log group of its own with its own retention, one
 * subscription filter per vault function log group matching exactly the audit records, a forwarder that may only
 * write into that group, and a refusal of log levels that would drop the records.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TokenVault, TokenVaultConfigError } from '@token-vault/cdk';
import { AUDIT_FORMAT } from '@token-vault/cdk/src/definitions/audit';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import {
  flatten,
  logicalId,
  newTestApp,
  rawNagFindings,
  resourcesOfType,
  roleStatements,
  synthesize,
  type TemplateJson,
} from './support/synth';

let app: App;
let vault: TokenVault;
let template: TemplateJson;

beforeAll(() => {
  app = newTestApp();
  const stack = new Stack(app, 'Audited');
  vault = new TokenVault(stack, 'Vault', {
    name: 'audited',
    applications: [{ clientId: 'c', returnTo: ['https://app.example.com/connected'] }],
    auditLogRetention: logs.RetentionDays.TWO_YEARS,
  });
  template = synthesize(app).json.Audited!;
});

describe('audit trail infrastructure', () => {
  it('keeps the records in a log group of their own, with their own retention, retained', () => {
    const group = template.Resources[logicalId(vault.auditLogGroup)]!;
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(group.Properties!.RetentionInDays).toBe(731);
    expect(group.DeletionPolicy).toBe('Retain');
  });

  it('subscribes every vault function log group but the forwarder own, with the audit filter', () => {
    const filters = resourcesOfType(template, 'AWS::Logs::SubscriptionFilter');
    const functionKeys = (Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]).filter((k) => k !== 'auditForwarder');
    expect(filters).toHaveLength(functionKeys.length);
    const groups = filters.map(([, p]) => flatten(p.LogGroupName)).sort();
    expect(groups).toEqual(functionKeys.map((k) => `<${logicalId(vault.functions[k].logGroup)}>`).sort());
    for (const [, p] of filters) {
      expect(p.FilterPattern).toBe(`{ $.audit = "${AUDIT_FORMAT}" }`);
      expect(flatten(p.DestinationArn)).toBe(`<${logicalId(vault.functions.auditForwarder.function)}.Arn>`);
    }
  });

  it('the forwarder may write into the audit group only, and only CloudWatch Logs may invoke it', () => {
    const statements = roleStatements(template).get(logicalId(vault.functions.auditForwarder.role))!;
    const logsStatements = statements.filter((s) => JSON.stringify(s.Action).includes('logs:'));
    const auditGroup = `<${logicalId(vault.auditLogGroup)}.Arn>`;
    expect(logsStatements.some((s) => flatten(s.Resource) === auditGroup)).toBe(true);
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => !/^(logs|xray|sqs):/.test(String(a)))).toEqual(
      [],
    );
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(
      ([, p]) => flatten(p.FunctionName) === `<${logicalId(vault.functions.auditForwarder.function)}.Arn>`,
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const [, p] of permissions) expect(p.Principal).toBe('logs.amazonaws.com');
  });

  it('refuses a log level that would drop the INFO audit records', () => {
    for (const level of [
      lambda.ApplicationLogLevel.WARN,
      lambda.ApplicationLogLevel.ERROR,
      lambda.ApplicationLogLevel.FATAL,
    ]) {
      const build = () =>
        new TokenVault(new Stack(new App(), 'S'), 'V', {
          applications: [{ clientId: 'c' }],
          applicationLogLevel: level,
        });
      expect(build).toThrow(TokenVaultConfigError);
      expect(build).toThrow(/would drop the audit trail's INFO records/);
    }
  });

  it('cdk-nag raises nothing on the audit resources (but the X-Ray `*` every vault function has, acknowledged)', () => {
    const findings = rawNagFindings(app).filter((f) =>
      /AuditLog|AuditFilter|auditforwarder|audit-forwarder/i.test(f.path),
    );
    expect(findings.filter((f) => f.ruleId !== 'AwsSolutions-IAM5[Resource::*]')).toEqual([]);
  });
});
