/**
 * Callers scoped to applications (README "Scoping callers to applications"): per-application aliases on
 * token-fetch, refresh and revoke, and grants that name only those aliases' ARNs, visible in the template. The
 * function's own half of the rule (it serves only the alias's application) is in test/local/server.test.ts.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ScopedFunction, TokenVault, TokenVaultConfigError } from '@token-vault/cdk';
import { SCOPED_FUNCTION_KEYS, applicationAlias, qualifierOf } from '@token-vault/cdk/src/definitions/aliases';
import { APPLICATION_ID_PATTERN } from '@token-vault/cdk/src/definitions/applications';
import { applicationAlias as clientApplicationAlias } from '@token-vault/client';
import { scopeToAlias } from '@token-vault/cdk/functions/runtime/invoke-handler';
import { addComplianceChecks } from '../../infra/deployment';
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

describe('alias names', () => {
  const samples = [
    'default',
    'crm',
    'a.b',
    'a_d',
    'a:b',
    'a@b',
    '_d',
    '.',
    '123',
    'x'.repeat(64),
    '@'.repeat(64),
    '_'.repeat(40) + '.'.repeat(24),
  ];

  it('are valid Lambda alias names, distinct for distinct applications, and the caller library computes the same', () => {
    const seen = new Map<string, string>();
    for (const id of samples) {
      expect(id).toMatch(APPLICATION_ID_PATTERN);
      const alias = applicationAlias(id);
      expect(alias).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
      expect(alias).not.toMatch(/^[0-9]+$/);
      expect(seen.get(alias)).toBeUndefined();
      seen.set(alias, id);
      expect(clientApplicationAlias(id)).toBe(alias);
    }
    expect(applicationAlias('default')).toBe('app-default');
    expect(applicationAlias('a.b')).not.toBe(applicationAlias('a_db'));
  });

  it('the function reads the alias from the invoked ARN and serves only its application', () => {
    const arn = (q?: string) =>
      `arn:aws:lambda:eu-west-1:123456789012:function:token-fetch${q === undefined ? '' : `:${q}`}`;
    expect(qualifierOf(arn())).toBeUndefined();
    expect(qualifierOf(undefined)).toBeUndefined();
    expect(scopeToAlias({ userId: 'u' }, undefined, ['default'])).toEqual({ userId: 'u' });
    expect(qualifierOf(arn('app-crm'))).toBe('app-crm');
    const apps = ['default', 'crm'];
    expect(scopeToAlias({ userId: 'u' }, arn('app-crm'), apps)).toEqual({ userId: 'u', applicationId: 'crm' });
    expect(scopeToAlias({ userId: 'u', applicationId: 'crm' }, arn('app-crm'), apps)).toEqual({
      userId: 'u',
      applicationId: 'crm',
    });
    expect(() => scopeToAlias({ userId: 'u', applicationId: 'default' }, arn('app-crm'), apps)).toThrow(
      /not allowed through this function alias/,
    );
    expect(() => scopeToAlias({ userId: 'u' }, arn('app-other'), apps)).toThrow(/serves no configured application/);
    // Unqualified, $LATEST and versions are the unscoped (vault's own) grants.
    for (const q of [undefined, '$LATEST', '7'])
      expect(scopeToAlias({ userId: 'u', applicationId: 'default' }, arn(q), apps)).toEqual({
        userId: 'u',
        applicationId: 'default',
      });
  });
});

describe('scoped grants in the template', () => {
  let stack: Stack;
  let vault: TokenVault;
  let template: TemplateJson;
  const roles: Record<string, iam.Role> = {};
  let app: ReturnType<typeof newTestApp>;

  beforeAll(() => {
    app = newTestApp();
    stack = new Stack(app, 'Scoped');
    vault = new TokenVault(stack, 'Vault', {
      name: 'scoped',
      applications: [
        { clientId: 'default-client', returnTo: ['https://app.example.com/connected'] },
        { applicationId: 'crm', clientId: 'crm-client', returnTo: ['https://crm.example.com/connected'] },
      ],
    });
    for (const name of ['crmOnly', 'both', 'unscoped']) {
      roles[name] = new iam.Role(stack, `Role-${name}`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
    }
    vault.grantFetch(roles.crmOnly!, { applications: ['crm'] });
    vault.grantRefresh(roles.crmOnly!, { applications: ['crm'] });
    vault.grantFetch(roles.both!, { applications: ['default', 'crm'] });
    vault.grantFetch(roles.unscoped!);
    addComplianceChecks(app);
    template = synthesize(app).json.Scoped!;
  });

  it('publishes one version per scoped function and one alias per application on it', () => {
    const versions = resourcesOfType(template, 'AWS::Lambda::Version');
    expect(versions).toHaveLength(SCOPED_FUNCTION_KEYS.length);
    const aliases = resourcesOfType(template, 'AWS::Lambda::Alias');
    expect(aliases).toHaveLength(SCOPED_FUNCTION_KEYS.length * 2);
    for (const key of SCOPED_FUNCTION_KEYS) {
      const fnId = logicalId(vault.functions[key].function);
      const mine = aliases.filter(([, p]) => flatten(p.FunctionName) === `<${fnId}>`);
      expect(mine.map(([, p]) => p.Name).sort()).toEqual(['app-crm', 'app-default']);
    }
  });

  it('a caller scoped to crm may invoke exactly the crm aliases: no unqualified ARN, no wildcard', () => {
    const statements = roleStatements(template).get(logicalId(roles.crmOnly!))!;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { Ref: logicalId(vault.aliasFor(ScopedFunction.TOKEN_FETCH, 'crm')) },
      },
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { Ref: logicalId(vault.aliasFor(ScopedFunction.REFRESH, 'crm')) },
      },
    ]);
    // No statement anywhere in the template grants a function's `:*` (every version and alias).
    for (const statements of roleStatements(template).values()) {
      for (const st of statements)
        if (JSON.stringify(st.Action).includes('lambda:InvokeFunction'))
          expect(JSON.stringify(st.Resource)).not.toContain(':*');
    }
  });

  it('a caller scoped to two applications gets both aliases; an unscoped one the unqualified ARN only', () => {
    const both = roleStatements(template).get(logicalId(roles.both!))!;
    expect(both).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [
          { Ref: logicalId(vault.aliasFor(ScopedFunction.TOKEN_FETCH, 'default')) },
          { Ref: logicalId(vault.aliasFor(ScopedFunction.TOKEN_FETCH, 'crm')) },
        ],
      },
    ]);
    const unscoped = roleStatements(template).get(logicalId(roles.unscoped!))!;
    expect(unscoped).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId(vault.functions.tokenFetch.function), 'Arn'] },
      },
    ]);
  });

  it('refuses a scope naming an unknown application, or none, at synthesis', () => {
    const role = new iam.Role(stack, 'Role-bad', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => vault.grantFetch(role, { applications: ['nope'] })).toThrow(TokenVaultConfigError);
    expect(() => vault.grantFetch(role, { applications: ['nope'] })).toThrow(/no alias for application "nope"/);
    expect(() => vault.grantFetch(role, { applications: [] })).toThrow(/at least one application/);
    expect(() => vault.functions.connect.aliasFor('default')).toThrow(/not scoped per application/);
  });

  it('cdk-nag: the versions, aliases and scoped grants raise nothing', () => {
    const findings = rawNagFindings(app).filter((f) => /Alias|Version|Role-(crmOnly|both|unscoped)/.test(f.path));
    expect(findings).toEqual([]);
  });
});
