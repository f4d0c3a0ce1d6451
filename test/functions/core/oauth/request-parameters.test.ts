/**
 * What the client sends: per-application authorization parameters (prompt, access_type, audience), RFC 8707
 * resource indicators on the authorization and token requests, the scope separator and required scopes.
 */
import { codeChallengeS256 } from '@token-vault/cdk/functions/core/oauth/pkce';
import { clientAnswering, json } from './fake-fetch';

const VERIFIER = 'v'.repeat(43);

function authorizationParams(
  settings: Parameters<typeof clientAnswering>[1],
  scopes: readonly string[] = ['read'],
): URLSearchParams {
  const { client } = clientAnswering(() => json(200, {}), settings);
  return new URL(client.authorizationUrl({ state: 'st', codeVerifier: VERIFIER, scopes })).searchParams;
}

describe('OAuthClient request parameters', () => {
  it('adds the authorization parameters of the application (Google: access_type=offline&prompt=consent)', () => {
    const params = authorizationParams({
      authorizationParameters: { access_type: 'offline', prompt: 'consent', audience: 'https://api.example.test' },
    });
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
    expect(params.get('audience')).toBe('https://api.example.test');
  });

  it("never lets an extra parameter replace one of the protocol's own", () => {
    const params = authorizationParams({
      authorizationParameters: {
        client_id: 'evil',
        state: 'fixed',
        code_challenge_method: 'plain',
        redirect_uri: 'https://evil.example',
      },
    });
    expect(params.getAll('client_id')).toEqual(['client-1']);
    expect(params.getAll('state')).toEqual(['st']);
    expect(params.getAll('code_challenge_method')).toEqual(['S256']);
    expect(params.getAll('redirect_uri')).toEqual(['https://vault.example.test/oauth/callback']);
    expect(params.get('code_challenge')).toBe(codeChallengeS256(VERIFIER));
  });

  it('joins scopes with the configured separator and always adds the required ones, once', () => {
    expect(authorizationParams({ scopeSeparator: ',' }, ['chat:write', 'channels:read']).get('scope')).toBe(
      'chat:write,channels:read',
    );
    expect(authorizationParams({ requiredScopes: ['offline_access'] }, ['User.Read']).get('scope')).toBe(
      'User.Read offline_access',
    );
    expect(authorizationParams({ requiredScopes: ['offline_access'] }, ['offline_access', 'openid']).get('scope')).toBe(
      'offline_access openid',
    );
    expect(authorizationParams({ requiredScopes: ['offline_access'] }, []).get('scope')).toBe('offline_access');
    expect(authorizationParams({}, []).has('scope')).toBe(false);
  });

  it('sends RFC 8707 resource indicators on the authorization request and on every token request', async () => {
    const resource = ['https://api.example.test/', 'https://files.example.test/'];
    expect(authorizationParams({ resource }).getAll('resource')).toEqual(resource);
    const { client, sent } = clientAnswering(() => json(200, { access_token: 'at' }), { resource });
    await client.exchangeCode('code', VERIFIER, 's');
    await client.refresh('rt', 's');
    for (const request of sent) expect(new URLSearchParams(request.body).getAll('resource')).toEqual(resource);
  });

  it('sends no resource parameter when the application has none', async () => {
    const { client, sent } = clientAnswering(() => json(200, { access_token: 'at' }));
    await client.refresh('rt', 's');
    expect(new URLSearchParams(sent[0]!.body).has('resource')).toBe(false);
    expect(Object.fromEntries(new URLSearchParams(sent[0]!.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt',
      client_id: 'client-1',
      client_secret: 's',
    });
  });
});
