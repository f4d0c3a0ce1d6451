/**
 * The Lambda alias of an application on the vault's scoped functions (token-fetch, refresh, revoke), the same
 * function as @token-vault/cdk's `applicationAlias` (test/infra/scoping.test.ts checks they agree). A caller granted
 * `grantFetch(fn, { applications: ['crm'] })` may invoke `token-fetch:app-crm` only.
 */
import { createHash } from 'node:crypto';

const ESCAPES: Readonly<Record<string, string>> = { _: '__', '.': '_d', ':': '_c', '@': '_a' };

/** `app-<id>` with `_` → `__`, `.` → `_d`, `:` → `_c`, `@` → `_a`; `apph-<40 hex of SHA-256(id)>` beyond 128 characters. */
export function applicationAlias(applicationId: string): string {
  const escaped = `app-${applicationId.replace(/[_.:@]/g, (c) => ESCAPES[c]!)}`;
  if (escaped.length <= 128) return escaped;
  return `apph-${createHash('sha256').update(applicationId, 'utf8').digest('hex').slice(0, 40)}`;
}
