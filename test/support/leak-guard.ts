/**
 * Log hygiene for the whole suite. Every test process records all it writes (stdout, stderr, console) into
 * test/out/logs, and every token, code, client secret and data key a test sees is registered in
 * test/out/sensitive. The global teardown fails the run if any registered value appears in any log.
 * JSON log lines are kept out of the terminal (set TEST_SHOW_LOGS=1 to see them).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Per run (set by global-setup.ts), so concurrent Jest runs on one machine never scan each other's output. */
export const OUT_DIR = process.env.TOKEN_VAULT_TEST_OUT ?? join(__dirname, '..', 'out', 'default');
export const LOG_DIR = join(OUT_DIR, 'logs');
export const SENSITIVE_DIR = join(OUT_DIR, 'sensitive');

/** Values shorter than this are too common to scan for (and no token is this short). */
const MIN_SENSITIVE_LENGTH = 8;

/** Registers a value that must never appear in any output of the suite. */
export function registerSensitive(...values: Array<string | Uint8Array | undefined>): void {
  mkdirSync(SENSITIVE_DIR, { recursive: true });
  for (const value of values) {
    if (value === undefined) continue;
    const forms =
      typeof value === 'string' ? [value] : [Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')];
    for (const form of forms) {
      if (form.length >= MIN_SENSITIVE_LENGTH)
        appendFileSync(join(SENSITIVE_DIR, `${process.pid}.txt`), `${Buffer.from(form).toString('base64')}\n`);
    }
  }
}
