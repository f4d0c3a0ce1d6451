/**
 * Jest globalSetup: one emulator and one Keycloak for the whole run, started together. Their endpoints and
 * credentials go into process.env, which the Jest workers (spawned after this) inherit, so tests and the
 * functions under test reach moto without any per-file configuration, and never a real AWS account; test files
 * that run against Keycloak make a realm of their own in it (test/support/vault.ts).
 */
import { DEFAULT_REGION, useEmulatorEnvironment } from '../../local/aws-clients';
import { rmSync } from 'node:fs';
import { startEmulator, type Emulator } from '../../local/emulator';
import { startKeycloak, type Keycloak } from '../../local/keycloak/process';
import { join } from 'node:path';

/** How the workers reach the run's Keycloak (read by test/support/vault.ts). */
export const KEYCLOAK_ENV = {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: 'TOKEN_VAULT_TEST_KEYCLOAK_URL',
  /** Bootstrap admin of the master realm. */
  adminUsername: 'TOKEN_VAULT_TEST_KEYCLOAK_ADMIN',
  adminPassword: 'TOKEN_VAULT_TEST_KEYCLOAK_ADMIN_PASSWORD',
} as const;

declare global {
  // Read by global-teardown.ts (runs in the same process).
  var __TOKEN_VAULT_EMULATOR__: Emulator | undefined;
  var __TOKEN_VAULT_KEYCLOAK__: Keycloak | undefined;
}

export default async function globalSetup(): Promise<void> {
  // A directory of this run's own for captured output and sensitive values (workers inherit the variable).
  process.env.TOKEN_VAULT_TEST_OUT = join(__dirname, '..', 'out', `run-${process.pid}`);
  rmSync(process.env.TOKEN_VAULT_TEST_OUT, { recursive: true, force: true });
  // Reuses AWS_ENDPOINT_URL when the caller already runs an emulator; otherwise starts moto (and fails with a
  // hint to run `bash scripts/setup-python.sh` when .venv is missing). Keycloak: reused when the caller set
  // KEYCLOAK_ENV's three variables (a Keycloak of its own, kept running between runs); otherwise started here
  // from the install of `bash scripts/setup-keycloak.sh` (npm test runs it first; startKeycloak runs it too).
  // TOKEN_VAULT_TEST_KEYCLOAK=off (jest.consumer.config.js): a run whose suites need no Keycloak starts none.
  const reuseKeycloak = Object.values(KEYCLOAK_ENV).every((name) => Boolean(process.env[name]));
  const noKeycloak = reuseKeycloak || process.env.TOKEN_VAULT_TEST_KEYCLOAK === 'off';
  const [emulator, keycloak] = await Promise.allSettled([
    startEmulator(),
    noKeycloak ? Promise.resolve(undefined) : startKeycloak(),
  ]);
  if (emulator.status === 'rejected' || keycloak.status === 'rejected') {
    await Promise.all([
      emulator.status === 'fulfilled' ? emulator.value.stop() : undefined,
      keycloak.status === 'fulfilled' ? keycloak.value?.stop() : undefined,
    ]);
    throw emulator.status === 'rejected' ? emulator.reason : (keycloak as PromiseRejectedResult).reason;
  }
  globalThis.__TOKEN_VAULT_EMULATOR__ = emulator.value;
  globalThis.__TOKEN_VAULT_KEYCLOAK__ = keycloak.value;

  useEmulatorEnvironment(emulator.value.endpoint, DEFAULT_REGION);

  if (keycloak.value) {
    process.env[KEYCLOAK_ENV.baseUrl] = keycloak.value.baseUrl;
    process.env[KEYCLOAK_ENV.adminUsername] = keycloak.value.adminUsername;
    process.env[KEYCLOAK_ENV.adminPassword] = keycloak.value.adminPassword;
    process.stderr.write(
      `global-setup: Keycloak ${keycloak.value.version} answered ${keycloak.value.startMs} ms after its start\n`,
    );
  }
}
