/**
 * Jest globalTeardown: stops the emulator and Keycloak started by global-setup.ts (a no-op for reused ones), then
 * fails the run if any registered sensitive value (token, code, client secret, data key) appears in any captured
 * output.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR, SENSITIVE_DIR } from './leak-guard';

// The globals `__TOKEN_VAULT_EMULATOR__` and `__TOKEN_VAULT_KEYCLOAK__` are declared in global-setup.ts (same process).
export default async function globalTeardown(): Promise<void> {
  const emulator = globalThis.__TOKEN_VAULT_EMULATOR__;
  const keycloak = globalThis.__TOKEN_VAULT_KEYCLOAK__;
  globalThis.__TOKEN_VAULT_EMULATOR__ = undefined;
  globalThis.__TOKEN_VAULT_KEYCLOAK__ = undefined;
  await Promise.all([emulator?.stop(), keycloak?.stop()]);
  scanForLeaks();
}

function scanForLeaks(): void {
  const read = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')) : [];
  const logs = read(LOG_DIR).join('\n');
  const sensitive = new Set(
    read(SENSITIVE_DIR)
      .flatMap((text) => text.split('\n'))
      .filter((line) => line !== '')
      .map((line) => Buffer.from(line, 'base64').toString('utf8')),
  );
  const leaked = [...sensitive].filter((value) => logs.includes(value));
  console.log(
    `leak-guard: scanned ${logs.length} bytes of captured output for ${sensitive.size} sensitive values: ${leaked.length} found`,
  );
  if (leaked.length > 0) {
    throw new Error(
      `leak-guard: ${leaked.length} sensitive value(s) appeared in captured output (first starts with ${leaked[0]!.slice(0, 4)}...). See test/out/logs.`,
    );
  }
}
