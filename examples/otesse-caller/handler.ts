/**
 * Example Lambda that calls the Otesse API for a user through the token vault's caller library.
 *
 * Invoke it with `{ "userId": "user-42" }`. It answers the user's profile (`GET /me`), or, when the user's
 * authorization is gone, a reconnect hint the front end can turn into a "Reconnect Otesse" button.
 *
 * Configuration (environment): `TOKEN_VAULT_TOKEN_FETCH_FUNCTION` and `TOKEN_VAULT_REFRESH_FUNCTION` (the
 * vault's function names; grant this function `lambda:InvokeFunction` on both, e.g. with the construct's
 * `grantFetch` and `grantRefresh`), and optionally `OTESSE_API_BASE_URL`.
 */
import {
  InsufficientScopeError,
  NotConnectedError,
  ReauthorizationRequiredError,
  TokenVaultClient,
  type TokenVaultClientOptions,
} from '@token-vault/client';

/** The example's input. */
export interface CallerEvent {
  readonly userId: string;
}

/** The example's answer. */
export type CallerResult =
  | { readonly ok: true; readonly profile: unknown }
  | {
      readonly ok: false;
      readonly reconnect: true;
      readonly reason: 'not_connected' | 'reauthorization_required' | 'insufficient_scope';
    }
  | { readonly ok: false; readonly reconnect: false; readonly status: number };

/** Builds the handler around a client (tests pass one pointed at the local stack). */
export function createHandler(vault: TokenVaultClient): (event: CallerEvent) => Promise<CallerResult> {
  return async (event) => {
    try {
      const res = await vault.apiRequest(event.userId, '/me', { headers: { accept: 'application/json' } });
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, reconnect: false, status: res.status };
      }
      return { ok: true, profile: await res.json() };
    } catch (err) {
      // The user has to go through `connect` again: say so instead of failing.
      if (
        err instanceof ReauthorizationRequiredError ||
        err instanceof NotConnectedError ||
        err instanceof InsufficientScopeError
      ) {
        return {
          ok: false,
          reconnect: true,
          reason: err.code as 'not_connected' | 'reauthorization_required' | 'insufficient_scope',
        };
      }
      // Retryable vault errors (rate_limited, provider_unavailable, internal_error) and network errors: let Lambda
      // report the failure (and retry, for asynchronous invocations).
      throw err;
    }
  };
}

/** Client options from the environment. */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TokenVaultClientOptions {
  return env.OTESSE_API_BASE_URL ? { apiBaseUrl: env.OTESSE_API_BASE_URL } : {};
}

// One client per container, at module scope: its token cache then serves many invocations.
const vault = new TokenVaultClient(clientOptionsFromEnv());

/** The Lambda entry point. */
export const handler = createHandler(vault);
