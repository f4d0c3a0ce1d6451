/**
 * The application registry alone (packages/cdk/functions/core/vault/applications.ts): one OAuth client per
 * configured application, an unknown one refused as invalid_request, and the provider settings taken over as they
 * are (absent optional fields stay absent).
 */
import { MESSAGES, VaultError } from '@token-vault/cdk/functions/core/errors';
import { ApplicationRegistry, providerSettings } from '@token-vault/cdk/functions/core/vault/applications';
import { testApplicationConfig } from '../../../support/applications';

const config = testApplicationConfig;

describe('ApplicationRegistry', () => {
  it('holds each configured application with a client of its own', () => {
    const registry = new ApplicationRegistry([config('a'), config('b')]);
    expect(registry.ids()).toEqual(['a', 'b']);
    expect(registry.has('a')).toBe(true);
    expect(registry.require('b').config.clientId).toBe('client-b');
    expect(registry.require('a').client).not.toBe(registry.require('b').client);
    const url = new URL(
      registry.require('b').client.authorizationUrl({ state: 's', codeVerifier: 'v'.repeat(43), scopes: ['read'] }),
    );
    expect(url.searchParams.get('client_id')).toBe('client-b');
  });

  it('refuses an unknown application as invalid_request', () => {
    const registry = new ApplicationRegistry([config('a')]);
    expect(registry.has('b')).toBe(false);
    let error: unknown;
    try {
      registry.require('b');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({ code: 'invalid_request', message: MESSAGES.unknownApplication });
  });
});

describe('providerSettings', () => {
  it('takes the provider fields over, leaving absent optional ones absent', () => {
    const settings = providerSettings(config('a'));
    expect(settings).toEqual({
      authorizeUrl: 'https://provider.example.test/authorize',
      tokenUrl: 'https://provider.example.test/token',
      revocationUrl: 'https://provider.example.test/revoke',
      clientId: 'client-a',
      redirectUri: 'https://vault.example.test/oauth/callback',
      tokenEndpointAuth: 'client_secret_post',
      revocationBody: 'json',
    });
    expect(
      providerSettings(
        config('a', {
          issuer: 'https://provider.example.test',
          scopeSeparator: ',',
          requiredScopes: ['offline_access'],
          errorCodes: { bad_refresh_token: 'invalid_grant' },
        }),
      ),
    ).toMatchObject({
      issuer: 'https://provider.example.test',
      scopeSeparator: ',',
      requiredScopes: ['offline_access'],
      errorCodes: { bad_refresh_token: 'invalid_grant' },
    });
  });
});
