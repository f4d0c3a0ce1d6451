/**
 * Function configuration from the environment (names from definitions/), read once at cold start and validated:
 * a missing or malformed variable, or tunables that break the time model, fail the cold start with a message
 * that names the variable.
 */
import { boundVariables } from '../../src/definitions/access';
import { applicationsSchema, type ApplicationConfig } from '../../src/definitions/applications';
import { ENV } from '../../src/definitions/env';
import type { FunctionKey } from '../../src/definitions/functions';
import { TUNABLES, TunableError, readTunables, type TunableValues } from '../../src/definitions/tunables';
import { functionTimeouts, refreshTiming } from '../../src/definitions/timing';
import { timingProblems } from '../core/refresh/budget';
import { PROACTIVE_REFRESH_POLICIES, type ProactiveRefresh } from '../core/refresh/policy';
import { CoreError } from '../core/base-error';
import { ANSWER_RESERVE_MS } from '../core/time/deadline';

/** `missing`: a variable is unset or empty; `invalid`: its value is unusable (the message says why). */
export type ConfigurationFailure = 'missing' | 'invalid';

/** A configuration the function cannot start with; `variable` names the (first) variable at fault. */
export class ConfigurationError extends CoreError<ConfigurationFailure> {
  override readonly name = 'ConfigurationError';

  constructor(
    code: ConfigurationFailure,
    readonly variable: string,
    message: string,
  ) {
    super(code, message);
  }

  override logFields(): Record<string, string> {
    return { variable: this.variable };
  }
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '')
    throw new ConfigurationError('missing', name, `${name} environment variable is not set.`);
  return value;
}

/** Checks at cold start that every variable the function is bound to is set (see {@link boundVariables}). */
export function requireBoundVariables(fn: FunctionKey, env: NodeJS.ProcessEnv = process.env): void {
  for (const name of boundVariables(fn)) requireEnv(name, env);
}

export function loadApplications(env: NodeJS.ProcessEnv = process.env): ApplicationConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(requireEnv(ENV.APPLICATIONS, env));
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError('invalid', ENV.APPLICATIONS, `${ENV.APPLICATIONS} is not valid JSON.`);
  }
  const parsed = applicationsSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigurationError('invalid', ENV.APPLICATIONS, `${ENV.APPLICATIONS} is invalid: ${where}`);
  }
  return parsed.data;
}

/** The tunables, checked one by one and against each other. */
export function loadTunables(env: NodeJS.ProcessEnv = process.env): TunableValues {
  let values: TunableValues;
  try {
    values = readTunables(env);
  } catch (error) {
    if (error instanceof TunableError) throw new ConfigurationError('invalid', error.label, error.message);
    throw error;
  }
  const problems = timingProblems(refreshTiming(values), functionTimeouts(), ANSWER_RESERVE_MS);
  if (problems.length > 0) {
    const names = `${TUNABLES.refreshLeaseSeconds.env}, ${TUNABLES.providerTimeoutMs.env}, ${TUNABLES.awsCallTimeoutMs.env}`;
    throw new ConfigurationError(
      'invalid',
      TUNABLES.refreshLeaseSeconds.env,
      `Tunables break the refresh time model (${names}): ${problems.map((p) => p.message).join('; ')}.`,
    );
  }
  return values;
}

/** The proactive refresh policy (default `used`). */
export function loadProactiveRefresh(env: NodeJS.ProcessEnv = process.env): ProactiveRefresh {
  const raw = env[ENV.PROACTIVE_REFRESH];
  if (raw === undefined || raw.trim() === '') return 'used';
  if (!(PROACTIVE_REFRESH_POLICIES as readonly string[]).includes(raw))
    throw new ConfigurationError(
      'invalid',
      ENV.PROACTIVE_REFRESH,
      `${ENV.PROACTIVE_REFRESH} must be one of ${PROACTIVE_REFRESH_POLICIES.join(', ')}.`,
    );
  return raw as ProactiveRefresh;
}

export { functionTimeouts, refreshTiming };
