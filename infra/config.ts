/**
 * Deployment configuration of infra/app.ts: a JSON file (`-c config=path/to/vault.json`), optionally with the
 * applications replaced from the command line (`-c applications='[...]'`). Without either, the example in
 * infra/config/example.json is used so that `cdk synth` works on a fresh clone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { REVOCATION_BODIES, TOKEN_AUTH_METHODS } from '../functions/definitions';
import { TokenVaultConfigError } from './constructs/errors';

/** Context keys read by the app. */
export const CONTEXT_KEYS = {
  /** Path of a JSON configuration file, relative to the working directory. */
  CONFIG: 'config',
  /** JSON array of applications; replaces the file's `applications`. */
  APPLICATIONS: 'applications',
} as const;

/** The example configuration used when no `config` context is given. */
export const EXAMPLE_CONFIG_PATH = path.join(__dirname, 'config', 'example.json');

/** One application: the fields of the construct's `TokenVaultApplication` (infra/deployment.ts passes them through). */
const applicationSchema = z
  .object({
    applicationId: z.string().optional(),
    authorizeUrl: z.string().optional(),
    tokenUrl: z.string().optional(),
    revocationUrl: z.string().optional(),
    issuer: z.string().optional(),
    clientId: z.string(),
    clientSecretArn: z.string().optional(),
    scopes: z.array(z.string()).optional(),
    tokenEndpointAuth: z.enum(TOKEN_AUTH_METHODS).optional(),
    revocationBody: z.enum(REVOCATION_BODIES).optional(),
    redirectUri: z.string().optional(),
    returnTo: z.array(z.string()).optional(),
  })
  .strict();

/** The file format (all fields but `applications` optional; unknown fields are errors, to catch typos). */
export const deploymentConfigSchema = z
  .object({
    /** Vault name (prefix of the function role names). */
    name: z.string().optional(),
    /** Prefix of the two stack names: `<prefix>-Data` and `<prefix>-Service`. */
    stackPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/).default('TokenVault'),
    applications: z.array(applicationSchema).min(1),
    returnTo: z.array(z.string()).optional(),
    alarmEmail: z.string().optional(),
    refreshMarginSeconds: z.number().optional(),
    sweepLookaheadSeconds: z.number().optional(),
    sweepIntervalMinutes: z.number().optional(),
    refreshCooldownSeconds: z.number().optional(),
    defaultAccessTokenTtlSeconds: z.number().optional(),
    defaultRefreshTokenTtlSeconds: z.number().optional(),
    providerTimeoutMs: z.number().optional(),
    callbackThrottle: z.object({ rateLimit: z.number(), burstLimit: z.number() }).strict().optional(),
    logRetentionDays: z.number().optional(),
    tableEncryption: z.enum(['AWS_OWNED', 'AWS_MANAGED']).optional(),
    /** X-Ray active tracing of the functions (default on). */
    tracing: z.boolean().optional(),
    /** Termination protection of the data stack. */
    terminationProtection: z.boolean().default(true),
    /**
     * Also deploy the example caller Lambda (examples/otesse-caller), granted `grantFetch` and `grantRefresh`.
     * `apiBaseUrl` overrides the provider API it calls.
     */
    exampleCaller: z.object({ apiBaseUrl: z.string().url().optional() }).strict().optional(),
  })
  .strict();

export type DeploymentConfig = z.output<typeof deploymentConfigSchema>;

/** Reads a context value given either as a string (command line) or as JSON (cdk.json). */
type ContextReader = (key: string) => unknown;

/** Loads and validates the configuration from CDK context (see {@link CONTEXT_KEYS}). */
export function loadDeploymentConfig(tryGetContext: ContextReader, cwd: string = process.cwd()): { config: DeploymentConfig; source: string } {
  const configPath = tryGetContext(CONTEXT_KEYS.CONFIG);
  if (configPath !== undefined && typeof configPath !== 'string') {
    throw new TokenVaultConfigError(`-c ${CONTEXT_KEYS.CONFIG}=PATH expects a file path.`);
  }
  const file = configPath !== undefined ? path.resolve(cwd, configPath) : EXAMPLE_CONFIG_PATH;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new TokenVaultConfigError(`Cannot read the configuration file ${file}: ${(cause as Error).message}`, { cause });
  }
  const applications = tryGetContext(CONTEXT_KEYS.APPLICATIONS);
  if (applications !== undefined) {
    raw = { ...(raw as object), applications: typeof applications === 'string' ? parseJson(applications) : applications };
  }
  const parsed = deploymentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new TokenVaultConfigError(`Invalid configuration (${file}):\n  ${problems.join('\n  ')}`);
  }
  return { config: parsed.data, source: file };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TokenVaultConfigError(`-c ${CONTEXT_KEYS.APPLICATIONS}=... is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}
