/**
 * Configuration errors raised while building the vault, before anything is synthesized, so a wrong setting fails
 * fast with a message that says how to fix it.
 *
 * jsii has no error classes: the class is not part of the jsii API. TypeScript and JavaScript apps get it as the
 * value `TokenVaultConfigError` (for `instanceof`); Python, Java, .NET and Go apps see the message in the error
 * their jsii runtime raises (a `RuntimeError` in Python).
 */
class ConfigError extends Error {
  public override readonly name = 'TokenVaultConfigError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The error class, for `err instanceof TokenVaultConfigError` (a value and a type of the same name). */
export const TokenVaultConfigError: typeof ConfigError = ConfigError;
export type TokenVaultConfigError = ConfigError;
