/** The shape of a provider profile: data that configures the vault for one provider, no code paths. */
import type { ErrorCodeTarget, RevocationBody, ScopeSeparator, TokenAuthMethod } from '../applications';
import type { ProfileId } from './ids';

/** What a template parameter's value may be (checked before it is put into a URL). */
export const PROFILE_PARAMETER_KINDS = ['base_url', 'host', 'path_segment'] as const;
export type ProfileParameterKind = (typeof PROFILE_PARAMETER_KINDS)[number];

/** A named value in the endpoint templates, e.g. Entra's `{tenant}`. */
export interface ProfileParameter {
  /** What to put there, for error messages. */
  readonly description: string;
  /**
   * `base_url`: an https URL without query or fragment (a trailing `/` is dropped); `host`: a DNS name with an
   * optional port; `path_segment`: one URL path segment of unreserved characters.
   */
  readonly kind: ProfileParameterKind;
  /** @default - the application must give it in `profileParameters` */
  readonly default?: string;
}

/** Endpoint templates; `{name}` stands for a profile parameter, `{clientId}` for the application's client id. */
export interface ProfileEndpoints {
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /**
   * Where the provider revokes tokens. With `revocationBody: 'none'` it names the provider's own (non RFC 7009)
   * API for operators, and the vault never calls it.
   */
  readonly revocationUrl: string;
  /** @default - `iss` is not checked (the provider does not send RFC 9207 `iss`) */
  readonly issuer?: string;
}

/**
 * A provider's documented behaviour. The first four are resolved into the application's configuration because
 * the refresh core acts on them; the others are handled by the OAuth client for every provider and are stated
 * so the catalogue reads as the provider's documentation and the tests know what to make a peer do.
 */
export interface ProfileQuirks {
  /** A refresh answer carries a new refresh token that replaces the old one. */
  readonly rotatesRefreshTokens: boolean;
  /** Seconds a used refresh token keeps working after rotation. @default 0 */
  readonly reuseGraceSeconds?: number;
  /** A refresh token unused this long dies. @default - none documented */
  readonly refreshTokenIdleExpirySeconds?: number;
  /** A refresh token comes only with the first consent (or a forced one); a reconnect may bring none. */
  readonly refreshTokenOnFirstConsentOnly: boolean;
  /**
   * Each authorization is a grant (a session) of its own: revoking the refresh token a reconnect replaced ends
   * only the old one, so the vault does. @default false (one grant may span consents: revoking would end both)
   */
  readonly grantPerAuthorization?: boolean;
  /** Token endpoint errors come with HTTP 200 and an `error` body. */
  readonly tokenErrorsWithHttp200: boolean;
  /** `token_type` is not spelled `Bearer` (`bearer`, `bot`, `user`). */
  readonly nonStandardTokenType: boolean;
  /** `expires_in` may be a numeric string. */
  readonly expiresInAsString: boolean;
  /** Token answers carry no `expires_in`. */
  readonly omitsExpiresIn: boolean;
  /** `refresh_expires_in: 0` means "no fixed expiry". */
  readonly refreshExpiresInZero: boolean;
  /** Token answers state the refresh token's lifetime (`refresh_token_expires_in`). */
  readonly statesRefreshTokenExpiry: boolean;
}

/** One provider preset. Every field but `id`, `name`, `docs`, `parameters` and `quirks` is an application default. */
export interface ProviderProfile {
  readonly id: ProfileId;
  readonly name: string;
  /** The provider documentation each value comes from. */
  readonly docs: readonly string[];
  readonly parameters: Readonly<Record<string, ProfileParameter>>;
  readonly endpoints: ProfileEndpoints;
  /** Scopes `connect` asks for when the application names none. */
  readonly defaultScopes: readonly string[];
  /** Scopes every authorization request carries (without them no refresh token is issued). */
  readonly requiredScopes: readonly string[];
  /** Extra authorization request parameters. */
  readonly authorizationParameters: Readonly<Record<string, string>>;
  readonly scopeSeparator: ScopeSeparator;
  readonly tokenEndpointAuth: TokenAuthMethod;
  readonly revocationBody: RevocationBody;
  /** The provider's own error codes mapped to RFC 6749 codes. */
  readonly errorCodes: Readonly<Record<string, ErrorCodeTarget>>;
  /** `token_type` values that mean Bearer besides `Bearer` (case-insensitive). */
  readonly bearerTokenTypes: readonly string[];
  readonly quirks: ProfileQuirks;
}
