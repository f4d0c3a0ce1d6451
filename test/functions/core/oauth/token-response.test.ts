/**
 * Lenient reading of token answers: once the provider answered 200 with an access token, secondary fields get
 * defaults and a warning instead of throwing the tokens (and a rotated refresh token) away.
 */
import { clientAnswering, failure, json } from './fake-fetch';

describe('OAuthClient token answers', () => {
  describe('expiry fields', () => {
    it.each([
      ['a number', 3600, 3600],
      ['a numeric string (Azure AD v1)', '3600', 3600],
      ['a fractional number', 3599.7, 3599],
      ['a numeric string with spaces', ' 60 ', 60],
    ])('reads expires_in given as %s', async (_name, value, expected) => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', expires_in: value }));
      await expect(client.refresh('rt', 's')).resolves.toEqual({
        accessToken: 'at',
        tokenType: 'Bearer',
        expiresIn: expected,
      });
      expect(warnings).toEqual([]);
    });

    it.each([
      ['0', 0],
      ['negative', -5],
      ['null', null],
      ['non-numeric', 'soon'],
      ['an object', { seconds: 60 }],
      ['NaN-like string', '1e3x'],
    ])(
      'treats an expires_in that is %s as "no stated expiry", with a warning naming the field',
      async (_name, value) => {
        const { client, warnings } = clientAnswering(() =>
          json(200, { access_token: 'at', refresh_token: 'rt-2', expires_in: value }),
        );
        await expect(client.refresh('rt', 's')).resolves.toEqual({
          accessToken: 'at',
          tokenType: 'Bearer',
          refreshToken: 'rt-2',
        });
        expect(warnings).toEqual([
          "The provider's refresh answer has expires_in that states no expiry (not a positive number); it is treated as absent.",
        ]);
      },
    );

    it('says nothing about an absent expires_in (Salesforce never sends one)', async () => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', token_type: 'Bearer' }));
      await expect(client.refresh('rt', 's')).resolves.toEqual({ accessToken: 'at', tokenType: 'Bearer' });
      expect(warnings).toEqual([]);
    });

    it("keeps the rotated refresh token of Keycloak's offline answer (refresh_expires_in: 0)", async () => {
      const { client, warnings } = clientAnswering(() =>
        json(200, {
          access_token: 'at',
          token_type: 'Bearer',
          expires_in: 300,
          refresh_token: 'offline-2',
          refresh_expires_in: 0,
        }),
      );
      await expect(client.refresh('offline-1', 's')).resolves.toEqual({
        accessToken: 'at',
        tokenType: 'Bearer',
        expiresIn: 300,
        refreshToken: 'offline-2',
      });
      expect(warnings).toEqual([
        "The provider's refresh answer has refresh_expires_in that states no expiry (not a positive number); it is treated as absent.",
      ]);
    });

    it('prefers refresh_token_expires_in, and falls back to refresh_expires_in when the first is unusable', async () => {
      const both = clientAnswering(() =>
        json(200, { access_token: 'at', refresh_token_expires_in: 15_897_600, refresh_expires_in: 1800 }),
      );
      expect((await both.client.refresh('rt', 's')).refreshTokenExpiresIn).toBe(15_897_600);
      const fallback = clientAnswering(() =>
        json(200, { access_token: 'at', refresh_token_expires_in: 'never', refresh_expires_in: '1800' }),
      );
      expect((await fallback.client.refresh('rt', 's')).refreshTokenExpiresIn).toBe(1800);
      expect(fallback.warnings).toHaveLength(1);
      expect(fallback.warnings[0]).toMatch(/refresh_token_expires_in/);
    });

    it('reports each distinct warning once per client, however often the provider repeats it', async () => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', refresh_expires_in: 0 }));
      for (let i = 0; i < 3; i += 1) await client.refresh('rt', 's');
      expect(warnings).toHaveLength(1);
    });
  });

  describe('secondary fields of the wrong type', () => {
    it('ignores a non-string refresh_token with a warning (never throws once there is an access token)', async () => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', refresh_token: 12345 }));
      await expect(client.refresh('rt', 's')).resolves.toEqual({ accessToken: 'at', tokenType: 'Bearer' });
      expect(warnings).toEqual(["The provider's refresh answer has a non-string refresh_token; it is ignored."]);
    });

    it('treats an empty refresh_token as absent (the caller keeps the old one)', async () => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', refresh_token: '' }));
      await expect(client.refresh('rt', 's')).resolves.toEqual({ accessToken: 'at', tokenType: 'Bearer' });
      expect(warnings).toEqual([]);
    });

    it('ignores a non-string scope with a warning', async () => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', scope: ['read', 'write'] }));
      await expect(client.exchangeCode('code', 'v'.repeat(43), 's')).resolves.toEqual({
        accessToken: 'at',
        tokenType: 'Bearer',
      });
      expect(warnings).toEqual([
        "The provider's authorization code exchange answer has a non-string scope; it is ignored.",
      ]);
    });

    it('assumes Bearer for a non-string or empty token_type, with a warning', async () => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', token_type: 7 }));
      await expect(client.refresh('rt', 's')).resolves.toMatchObject({ tokenType: 'Bearer' });
      const empty = clientAnswering(() => json(200, { access_token: 'at', token_type: ' ' }));
      await expect(empty.client.refresh('rt', 's')).resolves.toMatchObject({ tokenType: 'Bearer' });
      expect([...warnings, ...empty.warnings]).toEqual([
        "The provider's refresh answer has an invalid token_type; Bearer is assumed.",
        "The provider's refresh answer has an invalid token_type; Bearer is assumed.",
      ]);
    });

    it('ignores unknown fields silently (id_token, instance_url, ok, ...)', async () => {
      const { client, warnings } = clientAnswering(() =>
        json(200, {
          ok: true,
          access_token: 'at',
          instance_url: 'https://x.example',
          id_token: 'jwt',
          issued_at: '1699999999999',
        }),
      );
      await expect(client.refresh('rt', 's')).resolves.toEqual({ accessToken: 'at', tokenType: 'Bearer' });
      expect(warnings).toEqual([]);
    });

    it('uses tokens that come with an error code, with a warning (the provider may have rotated)', async () => {
      const { client, warnings } = clientAnswering(() =>
        json(200, { access_token: 'at', refresh_token: 'rt-2', error: 'warning_only' }),
      );
      await expect(client.refresh('rt', 's')).resolves.toEqual({
        accessToken: 'at',
        tokenType: 'Bearer',
        refreshToken: 'rt-2',
      });
      expect(warnings).toEqual([
        "The provider's refresh answer carries tokens and an error code; the tokens are used.",
      ]);
    });

    it('splits a comma-separated scope when the application uses the comma separator', async () => {
      const { client } = clientAnswering(() => json(200, { access_token: 'at', scope: 'chat:write, channels:read' }), {
        scopeSeparator: ',',
      });
      expect((await client.refresh('rt', 's')).scope).toBe('chat:write channels:read');
      const spaces = clientAnswering(() => json(200, { access_token: 'at', scope: 'read write' }));
      expect((await spaces.client.refresh('rt', 's')).scope).toBe('read write');
    });
  });

  describe('what stays strict', () => {
    it.each([
      ['no access_token', { token_type: 'Bearer', refresh_token: 'rt-2' }],
      ['an empty access_token', { access_token: '' }],
      ['a non-string access_token', { access_token: 42 }],
    ])('refuses an answer with %s (nothing usable to store)', async (_name, body) => {
      const { client } = clientAnswering(() => json(200, body));
      const error = await failure(client.refresh('rt', 's'));
      expect(error.code).toBe('invalid_response');
      expect(error.message).toBe("The provider's refresh answer has no access_token.");
      expect(error.isTransient).toBe(true);
    });
  });

  describe('token types', () => {
    it.each(['Bearer', 'bearer', 'BEARER', ' Bearer '])('serves %j as Bearer', async (type) => {
      const { client, warnings } = clientAnswering(() => json(200, { access_token: 'at', token_type: type }));
      expect((await client.refresh('rt', 's')).tokenType).toBe('Bearer');
      expect(warnings).toEqual([]);
    });

    it("serves the application's declared Bearer aliases (Slack's bot and user tokens)", async () => {
      const { client } = clientAnswering(() => json(200, { access_token: 'xoxb', token_type: 'bot' }), {
        bearerTokenTypes: ['bot', 'user'],
      });
      expect((await client.refresh('rt', 's')).tokenType).toBe('Bearer');
      const undeclared = clientAnswering(() => json(200, { access_token: 'xoxb', token_type: 'bot' }));
      expect((await failure(undeclared.client.exchangeCode('c', 'v', 's'))).code).toBe('unsupported_token_type');
      expect((await undeclared.client.refresh('rt', 's')).tokenType).toBe('bot');
    });

    it.each([
      ['DPoP', 'DPoP'],
      ['MAC', 'MAC'],
      ['N_A', 'N_A'],
      ['<script>alert(1)</script>', 'scriptalert1script'],
      ['x'.repeat(80), 'x'.repeat(32)],
      ['💥', 'unnamed'],
    ])(
      'refuses token_type %j in a code exchange with an error naming it sanitised (%s), not transient',
      async (type, named) => {
        const { client } = clientAnswering(() =>
          json(200, { access_token: 'at', token_type: type, refresh_token: 'rt-2' }),
        );
        const error = await failure(client.exchangeCode('code', 'verifier', 's'));
        expect(error.code).toBe('unsupported_token_type');
        expect(error.message).toBe(
          `The provider's authorization code exchange answer has token_type ${named}; only Bearer tokens can be served.`,
        );
        expect(error.isTransient).toBe(false);
        expect(error.isSafeToRetry).toBe(false);
        expect(error.isInvalidGrant).toBe(false);
      },
    );

    it.each([
      ['DPoP', 'DPoP'],
      ['<script>alert(1)</script>', 'scriptalert1script'],
    ])(
      'keeps a refresh answer with token_type %j (as %s) and its rotated refresh token, with a warning',
      async (type, named) => {
        const { client, warnings } = clientAnswering(() =>
          json(200, { access_token: 'at', token_type: type, refresh_token: 'rt-2' }),
        );
        const answer = await client.refresh('rt', 's');
        expect(answer).toMatchObject({ tokenType: named, refreshToken: 'rt-2' });
        expect(warnings).toEqual([
          `The provider's refresh answer has token_type ${named}; only Bearer tokens can be served.`,
        ]);
      },
    );
  });

  describe('errors answered with HTTP 200', () => {
    it('reads a 200 whose body is an OAuth error as that error (GitHub, Slack)', async () => {
      const { client } = clientAnswering(() =>
        json(200, { error: 'invalid_grant', error_description: 'The code rt-value is bad' }),
      );
      const error = await failure(client.refresh('rt-value', 's'));
      expect(error).toMatchObject({ code: 'oauth_error', providerError: 'invalid_grant', status: 200 });
      expect(error.isInvalidGrant).toBe(true);
      expect(error.message).not.toMatch(/rt-value/);
    });

    it("maps the provider's own codes through the application's error-code map", async () => {
      const errorCodes = {
        bad_refresh_token: 'invalid_grant',
        incorrect_client_credentials: 'invalid_client',
        ratelimited: 'rate_limited',
      } as const;
      const bad = clientAnswering(() => json(200, { error: 'bad_refresh_token' }), { errorCodes });
      const error = await failure(bad.client.refresh('rt', 's'));
      expect(error).toMatchObject({
        code: 'oauth_error',
        providerError: 'invalid_grant',
        providerCode: 'bad_refresh_token',
      });
      expect(error.isInvalidGrant).toBe(true);
      expect(error.message).toBe('The provider refused the refresh: bad_refresh_token (invalid_grant).');

      const client = clientAnswering(() => json(200, { error: 'incorrect_client_credentials' }), { errorCodes });
      expect((await failure(client.client.refresh('rt', 's'))).isClientRejected).toBe(true);

      const limited = clientAnswering(() => json(200, { ok: false, error: 'ratelimited' }), { errorCodes });
      const rateLimited = await failure(limited.client.refresh('rt', 's'));
      expect(rateLimited.code).toBe('rate_limited');
      expect(rateLimited.isSafeToRetry).toBe(true);
    });

    it('leaves an unmapped provider code as it is: not an invalid grant, not transient', async () => {
      const { client } = clientAnswering(() => json(200, { error: 'bad_refresh_token' }));
      const error = await failure(client.refresh('rt', 's'));
      expect(error).toMatchObject({ code: 'oauth_error', providerError: 'bad_refresh_token' });
      expect(error.providerCode).toBeUndefined();
      expect(error.isInvalidGrant).toBe(false);
      expect(error.isTransient).toBe(false);
    });

    it('maps error codes on error statuses and on revocation too', async () => {
      const errorCodes = { bad_refresh_token: 'invalid_grant' } as const;
      const status = clientAnswering(() => json(400, { error: 'bad_refresh_token' }), { errorCodes });
      expect((await failure(status.client.refresh('rt', 's'))).isInvalidGrant).toBe(true);
      const revocation = clientAnswering(() => json(400, { error: 'bad_refresh_token' }), { errorCodes });
      expect((await failure(revocation.client.revokeRefreshToken('rt', 's'))).providerError).toBe('invalid_grant');
    });

    it('never quotes a code outside the RFC 6749 character set', async () => {
      const { client } = clientAnswering(() => json(200, { error: 'bad"code\\with<quotes>' }));
      const error = await failure(client.refresh('rt', 's'));
      expect(error.code).toBe('invalid_response');
      expect(error.providerError).toBeUndefined();
      expect(error.message).toBe('The provider refused the refresh (HTTP 200) without an OAuth error code.');
    });
  });
});
