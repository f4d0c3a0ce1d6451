/** Jest globalTeardown: stops the emulator started by global-setup.ts (a no-op when it was reused). */
// The global `__TOKEN_VAULT_EMULATOR__` is declared in global-setup.ts (same process).
export default async function globalTeardown(): Promise<void> {
  const emulator = globalThis.__TOKEN_VAULT_EMULATOR__;
  globalThis.__TOKEN_VAULT_EMULATOR__ = undefined;
  await emulator?.stop();
}
