/**
 * Checks and conversions of the `OAUTH_*` values: URLs, lists, pairs, profiles and the application schema. Every
 * error is a {@link LocalConfigError} naming the variable, never quoting a value (it may be a secret).
 */
import { applicationsSchema, type ApplicationConfig } from '@token-vault/cdk/src/definitions/applications';
import { ProfileError, resolveProfile } from '@token-vault/cdk/src/definitions/profiles';
import { FIELD_VARIABLE, LocalConfigError, OAUTH_ENV } from './variables';

/** Resolves a profile; its errors name the variable that feeds the field. */
export function resolved(selection: Parameters<typeof resolveProfile>[0]): ReturnType<typeof resolveProfile> {
  try {
    return resolveProfile(selection);
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    const [field = '', name] = error.field.split('.');
    const variable =
      field === 'profileParameters' ? `${OAUTH_ENV.PROFILE_PARAMETERS} (${name})` : (FIELD_VARIABLE[field] ?? field);
    throw new LocalConfigError(`invalid provider configuration: ${variable}: ${error.reason}`);
  }
}

/** Validates one application (with a placeholder secret id; the real ARN exists only after provisioning). */
export function validated(input: Record<string, unknown>): Omit<ApplicationConfig, 'clientSecretId'> {
  const parsed = applicationsSchema.safeParse([{ ...input, clientSecretId: 'pending' }]);
  if (!parsed.success) throw new LocalConfigError(describeIssues(parsed.error.issues));
  const [app] = parsed.data;
  if (!app) throw new LocalConfigError('no application');
  const { clientSecretId: _placeholder, ...config } = app;
  return config;
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** One line per problem, naming the variable (values are not quoted: they may be long or sensitive). */
export function describeIssues(issues: readonly Issue[]): string {
  const lines = issues.map((issue) => {
    // path is [index in the array, field, ...entry index]
    const field = typeof issue.path[1] === 'string' ? issue.path[1] : undefined;
    const variable = (field && FIELD_VARIABLE[field]) ?? field ?? 'configuration';
    const entry = typeof issue.path[2] === 'number' ? ` (entry ${issue.path[2] + 1})` : '';
    return `${variable}${entry}: ${issue.message}`;
  });
  return `invalid provider configuration: ${lines.join('; ')}`;
}

/**
 * Every URL must parse and be http(s). Checked before the schema so that the message names the variable (and
 * because the schema's http(s) refinement assumes a parsable URL).
 */
export function checkUrls(entries: ReadonlyArray<readonly [string, string | undefined]>): void {
  const bad = entries
    .filter(([, value]) => value !== undefined && !isHttpUrl(value))
    .map(([name]) => `${name}: must be an http(s) URL`);
  if (bad.length > 0) throw new LocalConfigError(`invalid provider configuration: ${bad.join('; ')}`);
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  return /^https?:$/.test(new URL(value).protocol);
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new LocalConfigError(`${name} must be one of ${allowed.join(', ')}`);
}

/** `name=value` pairs, comma-separated; undefined when the variable is unset. */
export function pairs(name: string, value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of splitList(value, ',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LocalConfigError(`${name} must be comma-separated name=value pairs`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** The object without its undefined properties (so they don't replace a profile's values). */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function splitList(value: string, separator: string | RegExp): string[] {
  return value
    .split(separator)
    .map((part) => part.trim())
    .filter(Boolean);
}
