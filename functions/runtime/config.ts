/**
 * Function configuration from the environment (names from definitions/env.ts), read once and validated:
 * a missing or malformed variable fails the cold start with a message that names it.
 */
import { applicationsSchema, type ApplicationConfig } from '../definitions/applications';
import { DEFAULTS, ENV } from '../definitions/env';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigurationError(`${name} environment variable is not set.`);
  return value;
}

function numberEnv(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigurationError(`${name} must be a non-negative number, got an invalid value.`);
  return value;
}

export function loadApplications(env: NodeJS.ProcessEnv = process.env): ApplicationConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(requireEnv(ENV.APPLICATIONS, env));
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(`${ENV.APPLICATIONS} is not valid JSON.`);
  }
  const parsed = applicationsSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigurationError(`${ENV.APPLICATIONS} is invalid: ${where}`);
  }
  return parsed.data;
}

export interface Tunables {
  readonly refreshMarginMs: number;
  readonly defaultAccessTokenTtlMs: number;
  readonly defaultRefreshTokenTtlMs: number;
  readonly providerTimeoutMs: number;
  readonly awsRequestTimeoutMs: number;
  readonly cooldownMs: number;
  readonly sweepHorizonMs: number;
  readonly refreshLeaseMs: number;
  readonly refreshWaitMs: number;
}

/** A lease must outlast one provider call plus the commit that follows it. */
export const LEASE_RESERVE_MS = 2000;

function readTunables(env: NodeJS.ProcessEnv): Tunables {
  return {
    refreshMarginMs: numberEnv(ENV.REFRESH_MARGIN_SECONDS, DEFAULTS.REFRESH_MARGIN_SECONDS, env) * 1000,
    defaultAccessTokenTtlMs: numberEnv(ENV.DEFAULT_ACCESS_TOKEN_TTL_SECONDS, DEFAULTS.DEFAULT_ACCESS_TOKEN_TTL_SECONDS, env) * 1000,
    defaultRefreshTokenTtlMs: numberEnv(ENV.DEFAULT_REFRESH_TOKEN_TTL_SECONDS, DEFAULTS.DEFAULT_REFRESH_TOKEN_TTL_SECONDS, env) * 1000,
    providerTimeoutMs: numberEnv(ENV.PROVIDER_TIMEOUT_MS, DEFAULTS.PROVIDER_TIMEOUT_MS, env),
    awsRequestTimeoutMs: numberEnv(ENV.AWS_REQUEST_TIMEOUT_MS, DEFAULTS.AWS_REQUEST_TIMEOUT_MS, env),
    cooldownMs: numberEnv(ENV.REFRESH_COOLDOWN_SECONDS, DEFAULTS.REFRESH_COOLDOWN_SECONDS, env) * 1000,
    sweepHorizonMs: numberEnv(ENV.SWEEP_LOOKAHEAD_SECONDS, DEFAULTS.SWEEP_LOOKAHEAD_SECONDS, env) * 1000,
    refreshLeaseMs: numberEnv(ENV.REFRESH_LEASE_SECONDS, DEFAULTS.REFRESH_LEASE_SECONDS, env) * 1000,
    refreshWaitMs: numberEnv(ENV.REFRESH_WAIT_SECONDS, DEFAULTS.REFRESH_WAIT_SECONDS, env) * 1000,
  };
}

export function loadTunables(env: NodeJS.ProcessEnv = process.env): Tunables {
  const tunables = readTunables(env);
  // A lease shorter than one provider call would expire under a live holder: a peer would take over and present
  // the same refresh token again, which a provider with reuse detection answers by revoking the whole grant.
  if (tunables.refreshLeaseMs < tunables.providerTimeoutMs + LEASE_RESERVE_MS) {
    throw new ConfigurationError(
      `${ENV.REFRESH_LEASE_SECONDS} must be at least ${ENV.PROVIDER_TIMEOUT_MS} + ${LEASE_RESERVE_MS / 1000} s (one provider call plus the write).`,
    );
  }
  return tunables;
}
