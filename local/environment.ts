/** The process environment the local stack gives the vault's handlers. */
import type { ApplicationConfig } from '@token-vault/cdk/src/definitions/applications';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { METRICS_NAMESPACE, SERVICE_NAME } from '@token-vault/cdk/src/definitions/metrics';
import { DEFAULT_REGION, useEmulatorEnvironment } from './aws-clients';
import { functionEnvironment, type ProvisionedResources } from './provision';

/** The functions' environment, as the CDK construct sets it (plus the emulator's endpoint and fake credentials). */
export function setFunctionEnvironment(
  env: NodeJS.ProcessEnv,
  endpoint: string,
  resources: ProvisionedResources,
  applications: readonly ApplicationConfig[],
): void {
  // Tunables the caller set (TOKEN_VAULT_REFRESH_MARGIN_SECONDS, ...) reach the functions unchanged.
  for (const name of Object.values(ENV)) {
    const value = env[name];
    if (value !== undefined) process.env[name] = value;
  }
  Object.assign(process.env, {
    ...functionEnvironment(resources, applications),
    [ENV.POWERTOOLS_SERVICE_NAME]: SERVICE_NAME,
    [ENV.POWERTOOLS_METRICS_NAMESPACE]: METRICS_NAMESPACE,
  });
  useEmulatorEnvironment(endpoint, env.AWS_REGION || DEFAULT_REGION);
}
