/** Hello-world Lambda handler: the cold-start baseline, bundled and run exactly like the vault's functions. */
export const handler = async (): Promise<{ ok: true }> => Promise.resolve({ ok: true });
