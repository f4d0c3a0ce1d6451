/**
 * The vault's tunables, defined once: name, environment variable, unit, default, bounds and meaning. The
 * functions parse their environment with {@link readTunables}, the CDK construct validates its props and sets
 * the variables from the same table, the README's configuration table is checked against it, and the rules
 * that tie them together (the time model of a refresh) are checked by `timingProblems`
 * (functions/core/refresh/budget.ts) in both places.
 */

export interface TunableDefinition {
  /** Environment variable the functions read. */
  readonly env: string;
  readonly unit: 'seconds' | 'milliseconds' | 'writes';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** One line for the README and the construct's docs. */
  readonly doc: string;
}

export const TUNABLES = {
  refreshMarginSeconds: {
    env: 'TOKEN_VAULT_REFRESH_MARGIN_SECONDS',
    unit: 'seconds',
    default: 5 * 60,
    min: 0,
    max: 24 * 60 * 60,
    doc: "Refresh this long before expiry (never before half the token's lifetime).",
  },
  defaultAccessTokenTtlSeconds: {
    env: 'TOKEN_VAULT_DEFAULT_ACCESS_TOKEN_TTL_SECONDS',
    unit: 'seconds',
    default: 60 * 60,
    min: 1,
    max: 7 * 24 * 60 * 60,
    doc: 'Lifetime assumed for access tokens answered without `expires_in`.',
  },
  defaultRefreshTokenTtlSeconds: {
    env: 'TOKEN_VAULT_DEFAULT_REFRESH_TOKEN_TTL_SECONDS',
    unit: 'seconds',
    default: 30 * 24 * 60 * 60,
    min: 1,
    max: 10 * 365 * 24 * 60 * 60,
    doc: 'Lifetime assumed for refresh tokens without a stated expiry; past it the vault still tries the refresh and lets the provider decide.',
  },
  providerTimeoutMs: {
    env: 'TOKEN_VAULT_PROVIDER_TIMEOUT_MS',
    unit: 'milliseconds',
    default: 5_000,
    min: 100,
    max: 30_000,
    doc: 'One provider HTTP attempt.',
  },
  awsCallTimeoutMs: {
    env: 'TOKEN_VAULT_AWS_CALL_TIMEOUT_MS',
    unit: 'milliseconds',
    default: 2_000,
    min: 100,
    max: 10_000,
    doc: "One AWS call (DynamoDB, KMS, Secrets Manager), the SDK's three attempts included; each attempt gets a third of it.",
  },
  refreshCooldownSeconds: {
    env: 'TOKEN_VAULT_REFRESH_COOLDOWN_SECONDS',
    unit: 'seconds',
    default: 30,
    min: 0,
    max: 60 * 60,
    doc: 'After a failed refresh, no provider call for this long (per connection, across all containers).',
  },
  sweepLookaheadSeconds: {
    env: 'TOKEN_VAULT_SWEEP_LOOKAHEAD_SECONDS',
    unit: 'seconds',
    default: 10 * 60,
    min: 60,
    max: 24 * 60 * 60,
    doc: 'How far ahead the scheduled sweep refreshes (at least one sweep interval).',
  },
  keepAliveLeadSeconds: {
    env: 'TOKEN_VAULT_KEEP_ALIVE_LEAD_SECONDS',
    unit: 'seconds',
    default: 2 * 24 * 60 * 60,
    min: 60 * 60,
    max: 30 * 24 * 60 * 60,
    doc: "An idle connection is refreshed this long before its refresh token would expire or hit the provider's idle limit (a provider outage shorter than this keeps it alive).",
  },
  dataKeyMaxWrites: {
    env: 'TOKEN_VAULT_DATA_KEY_MAX_WRITES',
    unit: 'writes',
    default: 100,
    min: 1,
    max: 1000,
    doc: "A connection's data key is reused for at most this many writes (a fresh IV each time), so a refresh needs no `GenerateDataKey`; 1: a new key for every write.",
  },
  dataKeyMaxAgeSeconds: {
    env: 'TOKEN_VAULT_DATA_KEY_MAX_AGE_SECONDS',
    unit: 'seconds',
    default: 24 * 60 * 60,
    min: 60,
    max: 7 * 24 * 60 * 60,
    doc: "A connection's data key is reused only while younger than this.",
  },
  refreshLeaseSeconds: {
    env: 'TOKEN_VAULT_REFRESH_LEASE_SECONDS',
    unit: 'seconds',
    default: 25,
    min: 1,
    max: 5 * 60,
    doc: 'Refresh lease, and each extension of it: how long a crashed holder can delay the next refresh. Must cover the preparation, one provider attempt, the write and the clock skew.',
  },
  refreshWaitSeconds: {
    env: 'TOKEN_VAULT_REFRESH_WAIT_SECONDS',
    unit: 'seconds',
    default: 12,
    min: 0,
    max: 60,
    doc: "How long a caller waits for another container's refresh (never past its own deadline).",
  },
  forcedRefreshMinIntervalSeconds: {
    env: 'TOKEN_VAULT_FORCED_REFRESH_MIN_INTERVAL_SECONDS',
    unit: 'seconds',
    default: 30,
    min: 0,
    max: 60 * 60,
    doc: 'Within this long of a forced refresh, rejecting the token it issued answers `rate_limited`: a token rejected right after a forced refresh is not cured by another.',
  },
} as const satisfies Record<string, TunableDefinition>;

export type TunableName = keyof typeof TUNABLES;

/** Tunable values in their own units (seconds or milliseconds, as the name says). */
export type TunableValues = { readonly [K in TunableName]: number };

/** A tunable out of its bounds; `label` is the variable or prop that holds it. */
export class TunableError extends Error {
  override readonly name = 'TunableError';

  constructor(
    readonly label: string,
    message: string,
  ) {
    super(message);
  }
}

/** The defaults. */
export function defaultTunables(): TunableValues {
  return Object.fromEntries(Object.entries(TUNABLES).map(([name, t]) => [name, t.default])) as TunableValues;
}

/** Checks one value against its bounds; the message names `label` (a variable or a prop). */
export function checkTunable(name: TunableName, value: number, label: string = TUNABLES[name].env): number {
  const t: TunableDefinition = TUNABLES[name];
  if (!Number.isInteger(value) || value < t.min || value > t.max) {
    throw new TunableError(label, `${label} must be an integer from ${t.min} to ${t.max} (${t.unit}).`);
  }
  return value;
}

/** Reads every tunable from an environment: defaults for unset ones, bounds checked, the variable named on error. */
export function readTunables(env: Readonly<Record<string, string | undefined>>): TunableValues {
  const out: Record<string, number> = {};
  for (const [name, t] of Object.entries(TUNABLES) as Array<[TunableName, TunableDefinition]>) {
    const raw = env[t.env];
    out[name] = raw === undefined || raw.trim() === '' ? t.default : checkTunable(name, Number(raw));
  }
  return out as TunableValues;
}

/** Milliseconds of a tunable, whatever its time unit (a count is returned as it is). */
export function millis(values: TunableValues, name: TunableName): number {
  return TUNABLES[name].unit === 'seconds' ? values[name] * 1000 : values[name];
}
