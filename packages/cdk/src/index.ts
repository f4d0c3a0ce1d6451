/**
 * @token-vault/cdk: the TokenVault construct (a serverless OAuth token vault), its parts and two ready stacks.
 * The Lambda functions ship prebuilt in the package (assets/), so `cdk synth` needs neither esbuild nor the
 * function sources. Named exports only: this is the package's (and the jsii assembly's) whole public API.
 */
export { TokenVault } from './constructs/token-vault';
export { ScopedFunction, type ApplicationScope, type TokenVaultProps } from './constructs/token-vault-props';
export { ProactiveRefreshPolicy, type TokenVaultOptions } from './constructs/token-vault-options';
export { TokenVaultData, type TokenVaultDataProps } from './constructs/token-vault-data';
export {
  ErrorCodeTarget,
  RevocationBody,
  ScopeSeparator,
  TokenEndpointAuth,
  type TokenVaultApplication,
} from './constructs/applications';
export {
  VaultFunction,
  VaultFunctionKey,
  type VaultFunctionDefinition,
  type VaultFunctionProps,
  type VaultFunctions,
} from './constructs/vault-function';
export { VaultTableEncryption } from './constructs/vault-tables';
export { VaultMonitoring, type VaultMonitoringProps } from './constructs/monitoring';
export { type MonitoringAlarm } from './constructs/monitoring-alarms';
export { CallbackApi, type CallbackApiProps } from './constructs/callback-api';
export { DeadLetterQueue } from './constructs/dead-letter-queue';
export { ConnectionEvents, type ConnectionEventsProps } from './constructs/connection-events';
export { EnvelopeKey, type EnvelopeKeyProps, type EnvelopeKeyUsers } from './constructs/envelope-key';
export { AlarmTopic, type AlarmTopicProps } from './constructs/alarm-topic';
export { ScheduledInvocation, type ScheduledInvocationProps } from './constructs/scheduled-invocation';
export { RefreshQueue, type RefreshQueueProps } from './constructs/refresh-queue';
export { TokenVaultDataStack, type TokenVaultDataStackProps } from './stacks/data-stack';
export { TokenVaultServiceStack, type TokenVaultServiceStackProps } from './stacks/service-stack';
export { TokenVaultConfigError } from './constructs/errors';
