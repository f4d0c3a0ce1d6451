/** A fetch stub for the OAuth client's unit tests: records what was sent and answers what the test says. */
import { OAuthClient } from '@token-vault/cdk/functions/core/oauth/client';
import { OAuthError } from '@token-vault/cdk/functions/core/oauth/errors';
import type { OAuthClientOptions, ProviderSettings } from '@token-vault/cdk/functions/core/oauth/types';

export const SETTINGS: ProviderSettings = {
  authorizeUrl: 'https://auth.example.test/oauth/authorize',
  tokenUrl: 'https://auth.example.test/oauth/token',
  revocationUrl: 'https://auth.example.test/oauth/revoke',
  clientId: 'client-1',
  redirectUri: 'https://vault.example.test/oauth/callback',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'form',
};

export interface Sent {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly signal: AbortSignal | undefined;
}

/** A client whose fetch answers with `answer()`; `warnings` collects what it reports through `onWarning`. */
export function clientAnswering(
  answer: (sent: Sent) => Response | Promise<Response>,
  settings: Partial<ProviderSettings> = {},
  options: OAuthClientOptions = {},
): { client: OAuthClient; sent: Sent[]; warnings: string[] } {
  const sent: Sent[] = [];
  const warnings: string[] = [];
  const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
    const request: Sent = {
      url: url instanceof Request ? url.url : url.toString(),
      headers: init?.headers as Record<string, string>,
      body: typeof init?.body === 'string' ? init.body : '',
      signal: init?.signal ?? undefined,
    };
    sent.push(request);
    return answer(request);
  }) as typeof fetch;
  const client = new OAuthClient(
    { ...SETTINGS, ...settings },
    {
      fetch: fetchStub,
      timeoutMs: 1000,
      now: () => Date.parse('2026-11-25T00:00:00Z'),
      onWarning: (m) => warnings.push(m),
      ...options,
    },
  );
  return { client, sent, warnings };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** The OAuthError a promise rejects with (fails the test on anything else). */
export async function failure(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
}
