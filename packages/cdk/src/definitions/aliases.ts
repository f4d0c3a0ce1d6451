/**
 * Callers scoped to applications (README "Scoping callers to applications"): each scoped function has one Lambda
 * alias per application, and a scoped grant allows `lambda:InvokeFunction` on those alias ARNs only. Lambda puts
 * the ARN the caller invoked into the function's context (`invokedFunctionArn`), which the caller cannot forge, and
 * the function serves only the alias's application. The construct, the functions and the local stack use these
 * names; the caller library carries a copy (`@token-vault/client`), checked equal by test/infra/scoping.test.ts.
 */
import { createHash } from 'node:crypto';

/** The functions with per-application aliases (the keys of FUNCTIONS). */
export const SCOPED_FUNCTION_KEYS = ['tokenFetch', 'refresh', 'revoke', 'status'] as const;
export type ScopedFunctionKey = (typeof SCOPED_FUNCTION_KEYS)[number];

/** Lambda's alias names: `(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}`. */
const MAX_ALIAS_LENGTH = 128;
const ESCAPES: Readonly<Record<string, string>> = { _: '__', '.': '_d', ':': '_c', '@': '_a' };

/**
 * The alias of an application: `app-<id>` with `_` → `__`, `.` → `_d`, `:` → `_c`, `@` → `_a` (injective, and never
 * all digits), or `apph-<40 hex of SHA-256(id)>` when that would be longer than Lambda allows.
 */
export function applicationAlias(applicationId: string): string {
  const escaped = `app-${applicationId.replace(/[_.:@]/g, (c) => ESCAPES[c]!)}`;
  if (escaped.length <= MAX_ALIAS_LENGTH) return escaped;
  return `apph-${createHash('sha256').update(applicationId, 'utf8').digest('hex').slice(0, 40)}`;
}

/** The qualifier of an invoked ARN (`arn:...:function:name:qualifier`), or undefined for an unqualified one. */
export function qualifierOf(invokedFunctionArn: string | undefined): string | undefined {
  // Lambda always sets it; a hand-made context (a test, a local runner) may not.
  if (typeof invokedFunctionArn !== 'string') return undefined;
  const parts = invokedFunctionArn.split(':');
  return parts.length >= 8 && parts[7] !== '' ? parts[7] : undefined;
}

/** Whether a qualifier names a version (`$LATEST` or a number) rather than an alias. */
export function isVersionQualifier(qualifier: string): boolean {
  return qualifier === '$LATEST' || /^[0-9]+$/.test(qualifier);
}
