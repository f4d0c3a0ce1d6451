/**
 * Jest globalSetup: one emulator for the whole run. Its endpoint and fake credentials go into process.env,
 * which the Jest workers (spawned after this) inherit, so tests and the functions under test reach moto
 * without any per-file configuration, and never a real AWS account.
 */
import { EMULATOR_CREDENTIALS } from '../../local/aws-clients';
import { rmSync } from 'node:fs';
import { startEmulator, type Emulator } from '../../local/emulator';
import { join } from 'node:path';

declare global {
  // Read by global-teardown.ts (runs in the same process).
  var __TOKEN_VAULT_EMULATOR__: Emulator | undefined;
}

export default async function globalSetup(): Promise<void> {
  // A directory of this run's own for captured output and sensitive values (workers inherit the variable).
  process.env.TOKEN_VAULT_TEST_OUT = join(__dirname, '..', 'out', `run-${process.pid}`);
  rmSync(process.env.TOKEN_VAULT_TEST_OUT, { recursive: true, force: true });
  // Reuses AWS_ENDPOINT_URL when the caller already runs an emulator; otherwise starts moto (and fails with a
  // hint to run `bash scripts/setup-python.sh` when .venv is missing).
  const emulator = await startEmulator();
  globalThis.__TOKEN_VAULT_EMULATOR__ = emulator;

  process.env.AWS_ENDPOINT_URL = emulator.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  // Always override: a developer's real keys must never be used (or sent anywhere) by the tests.
  process.env.AWS_ACCESS_KEY_ID = EMULATOR_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = EMULATOR_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // No instance-metadata probing (slow timeouts off EC2).
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}
