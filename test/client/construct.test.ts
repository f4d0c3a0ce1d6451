/**
 * The example caller's CDK construct next to a `TokenVault`: the function gets the two function names and may
 * invoke exactly token-fetch and refresh. Bundling is skipped for the template; the handler is bundled once with
 * esbuild on its own to show that it builds.
 */
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { OtesseCaller } from '../../examples/otesse-caller/construct';
import { TokenVault } from '@token-vault/cdk';

it('grants invoke on token-fetch and refresh only, and passes their names', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Caller', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vault = new TokenVault(stack, 'Vault', { applications: [{ clientId: 'client' }] });
  const caller = new OtesseCaller(stack, 'OtesseCaller', { vault, apiBaseUrl: 'https://api.example.test/v1' });
  const template = Template.fromStack(stack);
  const ref = (fn: { node: { defaultChild?: unknown } }) => ({
    Ref: stack.getLogicalId(fn.node.defaultChild as never),
  });

  const callerId = stack.getLogicalId(caller.function.node.defaultChild as never);
  const callerFn = template.toJSON().Resources[callerId] as {
    Properties: { Environment: { Variables: Record<string, unknown> }; Role: { 'Fn::GetAtt': [string, string] } };
  };
  expect(callerFn.Properties.Environment.Variables).toEqual({
    TOKEN_VAULT_TOKEN_FETCH_FUNCTION: ref(vault.functions.tokenFetch.function),
    TOKEN_VAULT_REFRESH_FUNCTION: ref(vault.functions.refresh.function),
    OTESSE_API_BASE_URL: 'https://api.example.test/v1',
  });

  const roleId = callerFn.Properties.Role['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  const statements = Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } } }).Properties
        .PolicyDocument.Statement,
  );
  const invoke = statements.filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction'));
  const targets = JSON.stringify(invoke.map((s) => s.Resource));
  const idOf = (fn: { node: { defaultChild?: unknown } }) => stack.getLogicalId(fn.node.defaultChild as never);
  expect(targets).toContain(idOf(vault.functions.tokenFetch.function));
  expect(targets).toContain(idOf(vault.functions.refresh.function));
  for (const other of [vault.functions.connect, vault.functions.revoke, vault.functions.callback])
    expect(targets).not.toContain(idOf(other.function));
});

it('the example handler bundles', async () => {
  const out = await build({
    entryPoints: [path.join(__dirname, '..', '..', 'examples', 'otesse-caller', 'handler.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  expect(out.errors).toEqual([]);
  expect(out.outputFiles[0]!.text).toContain('TOKEN_VAULT_TOKEN_FETCH_FUNCTION');
});
