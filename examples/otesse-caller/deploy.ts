/**
 * Deploys the example caller next to a vault: the repository's CDK app (infra/app.ts) calls this when the
 * deployment configuration has `exampleCaller`. The vault's own stacks know nothing of the example.
 */
import { CfnOutput } from 'aws-cdk-lib';
import type { TokenVaultServiceStack } from '@token-vault/cdk';
import { OtesseCaller } from './construct';

/** Options of {@link addExampleCaller}: the `exampleCaller` entry of the deployment configuration. */
export interface ExampleCallerOptions {
  /** Base URL of the provider's API. @default - the client's default */
  readonly apiBaseUrl?: string | undefined;
}

/** Adds the example caller to the service stack, with its function name as the `ExampleCallerFunctionName` output. */
export function addExampleCaller(serviceStack: TokenVaultServiceStack, options: ExampleCallerOptions): OtesseCaller {
  const caller = new OtesseCaller(serviceStack, 'ExampleCaller', {
    vault: serviceStack.vault,
    ...(options.apiBaseUrl !== undefined ? { apiBaseUrl: options.apiBaseUrl } : {}),
  });
  new CfnOutput(serviceStack, 'ExampleCallerFunctionName', { value: caller.function.functionName });
  return caller;
}
