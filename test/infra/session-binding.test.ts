/**
 * Session binding in the construct (README "Session binding"): on unless an application opts out; only the opt-out
 * reaches the functions' configuration (absent means bound), and the deployment file accepts it.
 */
import { toApplicationConfigs } from '@token-vault/cdk/src/constructs/application-config';
import { isSessionBound } from '@token-vault/cdk/functions/core/vault/authorization';
import { loadDeploymentConfig } from '../../infra/config';

const bindings = {
  clientSecretArn: () => 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf',
  callbackUrl: 'https://vault.example.com/oauth/callback',
  returnTo: ['https://app.example.com/connected'],
};

describe('session binding configuration', () => {
  it('is on by default and written only when an application opts out', () => {
    const [bound, unbound] = toApplicationConfigs(
      [{ clientId: 'a' }, { applicationId: 'server-side', clientId: 'b', sessionBinding: false }],
      bindings,
    );
    expect(bound).not.toHaveProperty('sessionBinding');
    expect(isSessionBound(bound!)).toBe(true);
    expect(unbound).toMatchObject({ sessionBinding: false });
    expect(isSessionBound(unbound!)).toBe(false);
  });

  it('the deployment file accepts sessionBinding per application', () => {
    const context: Record<string, unknown> = { applications: '[{"clientId":"c","sessionBinding":false}]' };
    const { config } = loadDeploymentConfig((key) => context[key]);
    expect(config.applications[0]).toMatchObject({ sessionBinding: false });
  });
});
