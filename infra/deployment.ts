/**
 * The deployable app: a data stack (stateful) and a service stack (stateless) from one configuration, plus the
 * compliance checks that run on every synthesis.
 */
import { Duration, Tags, Validations, type App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  TokenVaultConfigError,
  TokenVaultDataStack,
  TokenVaultServiceStack,
  VaultTableEncryption,
  type ErrorCodeTarget,
  type RevocationBody,
  type ScopeSeparator,
  type TokenEndpointAuth,
  type TokenVaultApplication,
} from '@token-vault/cdk';
import type { DeploymentApplication, DeploymentConfig } from './config';

export interface TokenVaultStacks {
  readonly dataStack: TokenVaultDataStack;
  readonly serviceStack: TokenVaultServiceStack;
}

/** Adds `<prefix>-Data` and `<prefix>-Service` to the app. Both are environment-agnostic (no account needed to synthesize). */
export function addTokenVaultStacks(app: App, config: DeploymentConfig): TokenVaultStacks {
  const dataStack = new TokenVaultDataStack(app, `${config.stackPrefix}-Data`, {
    description: 'token-vault: tables, envelope key and client secrets (retained)',
    terminationProtection: config.terminationProtection,
    applications: config.applications.map(constructApplication),
    ...(config.name !== undefined ? { name: config.name } : {}),
    ...(config.tableEncryption !== undefined ? { tableEncryption: VaultTableEncryption[config.tableEncryption] } : {}),
  });
  const serviceStack = new TokenVaultServiceStack(app, `${config.stackPrefix}-Service`, {
    description: 'token-vault: functions, OAuth callback API and refresh schedule',
    data: dataStack.data,
    ...(config.returnTo !== undefined ? { returnTo: config.returnTo } : {}),
    ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
    ...(config.refreshMarginSeconds !== undefined ? { refreshMarginSeconds: config.refreshMarginSeconds } : {}),
    ...(config.sweepLookaheadSeconds !== undefined ? { sweepLookaheadSeconds: config.sweepLookaheadSeconds } : {}),
    ...(config.sweepIntervalMinutes !== undefined
      ? { sweepInterval: Duration.minutes(config.sweepIntervalMinutes) }
      : {}),
    ...(config.refreshCooldownSeconds !== undefined ? { refreshCooldownSeconds: config.refreshCooldownSeconds } : {}),
    ...(config.defaultAccessTokenTtlSeconds !== undefined
      ? { defaultAccessTokenTtlSeconds: config.defaultAccessTokenTtlSeconds }
      : {}),
    ...(config.defaultRefreshTokenTtlSeconds !== undefined
      ? { defaultRefreshTokenTtlSeconds: config.defaultRefreshTokenTtlSeconds }
      : {}),
    ...(config.providerTimeoutMs !== undefined ? { providerTimeoutMs: config.providerTimeoutMs } : {}),
    ...(config.callbackThrottle !== undefined ? { callbackThrottle: config.callbackThrottle } : {}),
    ...(config.logRetentionDays !== undefined ? { logRetention: retention(config.logRetentionDays) } : {}),
    ...(config.tracing !== undefined
      ? { tracing: config.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED }
      : {}),
  });
  Tags.of(app).add('project', 'token-vault');
  return { dataStack, serviceStack };
}

/** cdk-nag AwsSolutions on every stack; synthesis fails on any finding not acknowledged with a reason. */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

function retention(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number');
  if (!allowed.includes(days)) {
    throw new TokenVaultConfigError(
      `logRetentionDays: ${days} is not a CloudWatch Logs retention; use one of ${allowed.join(', ')}.`,
    );
  }
  return days;
}

/**
 * An application of the configuration file as the construct takes it: the file's strings are the values of the
 * construct's enums (TokenEndpointAuth, RevocationBody, ScopeSeparator, ErrorCodeTarget), which the construct's
 * build checks against the functions' schema, so they convert as they are.
 */
function constructApplication(app: DeploymentApplication): TokenVaultApplication {
  const { tokenEndpointAuth, revocationBody, scopeSeparator, errorCodes, ...rest } = app;
  return {
    ...rest,
    ...(tokenEndpointAuth !== undefined ? { tokenEndpointAuth: tokenEndpointAuth as TokenEndpointAuth } : {}),
    ...(revocationBody !== undefined ? { revocationBody: revocationBody as RevocationBody } : {}),
    ...(scopeSeparator !== undefined ? { scopeSeparator: scopeSeparator as ScopeSeparator } : {}),
    ...(errorCodes !== undefined ? { errorCodes: errorCodes as Record<string, ErrorCodeTarget> } : {}),
  };
}
