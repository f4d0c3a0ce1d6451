/**
 * The optional example caller (`exampleCaller` in the deployment configuration): deployed by the CDK app (infra/app.ts) next to
 * the vault, allowed to invoke token-fetch and refresh only, and clean under cdk-nag.
 */
import type { App } from 'aws-cdk-lib';
import { loadDeploymentConfig } from '../../infra/config';
import { addComplianceChecks, addTokenVaultStacks } from '../../infra/deployment';
import { addExampleCaller } from '../../examples/otesse-caller/deploy';
import { newTestApp, readValidationReport, resourcesOfType, synthesize, type Synthesized } from './support/synth';

let app: App;
let out: Synthesized;

beforeAll(() => {
  app = newTestApp();
  const { config } = loadDeploymentConfig((key) => app.node.tryGetContext(key));
  const { serviceStack } = addTokenVaultStacks(app, config);
  addExampleCaller(serviceStack, { apiBaseUrl: 'https://api.example.test/v1' });
  addComplianceChecks(app);
  out = synthesize(app);
});

describe('exampleCaller', () => {
  it('adds the example function with the vault function names and an output', () => {
    const service = out.json['TokenVault-Service']!;
    const functions = resourcesOfType(service, 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('ExampleCaller'),
    );
    expect(functions).toHaveLength(1);
    const env = (functions[0]![1].Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'TOKEN_VAULT_TOKEN_FETCH_FUNCTION',
        'TOKEN_VAULT_REFRESH_FUNCTION',
        'OTESSE_API_BASE_URL',
      ]),
    );
    expect(service.Outputs?.ExampleCallerFunctionName).toBeDefined();
  });

  it('may invoke token-fetch and refresh, nothing else of the vault', () => {
    const service = out.json['TokenVault-Service']!;
    const policies = resourcesOfType(service, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('ExampleCaller'));
    const statements = policies.flatMap(
      ([, p]) => (p.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement,
    );
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    const targets = JSON.stringify(invoke.map((s) => s.Resource));
    expect(targets).toMatch(/VaulttokenfetchFunction/);
    expect(targets).toMatch(/VaultrefreshFunction/);
    expect(targets).not.toMatch(/Vault(connect|callback|revoke)Function/);
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    const report = readValidationReport(out.outdir);
    const violations = report.pluginReports.flatMap((r) => r.violations).filter((v) => v.severity !== 'info');
    expect(violations).toEqual([]);
  });
});
