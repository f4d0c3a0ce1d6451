/**
 * One way to configure AWS SDK v3 clients against the emulator, shared by the local stack, the tests and the
 * bench so that they cannot drift.
 */

/** The subset of SDK v3 client configuration every client accepts. */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Obviously fake credentials for the emulator: moto accepts any, and these can never be mistaken for (or
 * replaced by) a developer's real keys from the default provider chain.
 */
export const EMULATOR_CREDENTIALS = {
  accessKeyId: 'token-vault-local',
  secretAccessKey: 'token-vault-local-not-a-secret',
} as const;

/** Region used when `AWS_REGION` is unset. */
export const DEFAULT_REGION = 'us-east-1';

/**
 * Common client configuration: region from `AWS_REGION` (default `us-east-1`); with an `endpoint` (the
 * emulator), that endpoint and {@link EMULATOR_CREDENTIALS}; without one, nothing else, so the SDK's own
 * resolution applies (which also honours `AWS_ENDPOINT_URL`).
 */
export function awsClientConfig(endpoint?: string): AwsClientConfig {
  const region = process.env.AWS_REGION || DEFAULT_REGION;
  if (!endpoint) return { region };
  return { region, endpoint, credentials: { ...EMULATOR_CREDENTIALS } };
}

/**
 * Points this process's SDK clients (the handlers' own, which read the environment as in Lambda) at the
 * emulator, with {@link EMULATOR_CREDENTIALS} always: a developer's real keys must never be used (or sent
 * anywhere) from the local stack, the tests or the bench. No instance-metadata probing (slow timeouts off EC2).
 */
export function useEmulatorEnvironment(
  endpoint: string,
  region: string = process.env.AWS_REGION || DEFAULT_REGION,
): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_REGION = region;
  process.env.AWS_ACCESS_KEY_ID = EMULATOR_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = EMULATOR_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}
