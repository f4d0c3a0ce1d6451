/**
 * The base of every error the core throws. Each subclass sets `name` and exports the union of its `code`
 * values, so callers branch on `code` (never on the message) and logs describe any of them the same way.
 * Messages and `cause` are written to be safe to log: never a token, code, secret or SDK message.
 */
export abstract class CoreError<Code extends string = string> extends Error {
  abstract override readonly name: string;

  constructor(
    /** What went wrong, stable across releases: one of the subclass's exported codes. */
    readonly code: Code,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  /** Fields besides `code` worth a log line (numbers and short strings only). */
  logFields(): Record<string, string | number> {
    return {};
  }
}
