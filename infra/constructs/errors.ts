/**
 * Configuration errors raised while building the vault, before anything is bundled or synthesized, so a wrong
 * setting fails fast with a message that says how to fix it.
 */
export class TokenVaultConfigError extends Error {
  public override readonly name = 'TokenVaultConfigError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
