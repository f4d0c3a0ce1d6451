/**
 * Helpers of the consumer tests: the packages as npm packs them, scratch projects in temp folders that install
 * them as a user would, and the template facts that must come out the same in every app that uses TokenVault.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPOSITORY_ROOT = resolve(__dirname, '..', '..');
/** Cached between runs (the Python virtual environment), like .venv and .keycloak. */
export const CACHE_DIR = join(REPOSITORY_ROOT, '.cache');

/** Versions the scratch apps install: the repository's own pins (package-lock.json). */
export function pinnedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

export function scratchDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `token-vault-${label}-`));
}

/** `npm pack` of a workspace package into `destination`; returns the tarball's path. */
export function npmPack(workspace: '@token-vault/cdk' | '@token-vault/client', destination: string): string {
  mkdirSync(destination, { recursive: true });
  const out = execFileSync('npm', ['pack', '--silent', '-w', workspace, '--pack-destination', destination], {
    cwd: REPOSITORY_ROOT,
    encoding: 'utf8',
  });
  const file = out.trim().split('\n').pop()!.trim();
  const path = join(destination, file);
  if (!existsSync(path)) throw new Error(`npm pack wrote no ${path}: ${out}`);
  return path;
}

/** The file list of a tarball. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''))
    .sort();
}

/** Runs a command; throws with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? consumerEnv(),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`.slice(
        0,
        20_000,
      ),
    );
  }
  return result;
}

/**
 * Runs a command without blocking the event loop (for commands that call back into this process, e.g. the local
 * stack it serves); resolves to stdout, rejects with the output when it fails.
 */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? consumerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${stdout}\n${stderr}`.slice(0, 20_000)),
        );
    });
  });
}

/**
 * The environment of a user's shell: no AWS credentials or emulator settings of the test run, no npm workspace
 * settings; the npm cache is the machine's (so a second install is quick).
 */
export function consumerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = [
    'PATH',
    'HOME',
    'LANG',
    'TMPDIR',
    'npm_config_cache',
    'NPM_CONFIG_CACHE',
    'PIP_INDEX_URL',
    'PIP_CACHE_DIR',
  ];
  const env: NodeJS.ProcessEnv = { AWS_EC2_METADATA_DISABLED: 'true', CI: 'true', CDK_DISABLE_VERSION_CHECK: 'true' };
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

// ------------------------------------------------------------------------------------------- templates

export interface Template {
  readonly Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: unknown; [key: string]: unknown }
  >;
}

export function readTemplates(outdir: string): Record<string, Template> {
  const templates: Record<string, Template> = {};
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
    templates[file.replace(/\.template\.json$/, '')] = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as Template;
  }
  return templates;
}

export interface FunctionFacts {
  readonly runtime: unknown;
  readonly architectures: unknown;
  readonly handler: unknown;
  readonly memorySize: unknown;
  readonly timeout: unknown;
  readonly tracing: unknown;
  readonly loggingConfig: unknown;
  /** Environment variable names (values hold resource references that differ between stack layouts). */
  readonly environment: string[];
  /** NODE_OPTIONS and the Powertools settings, whose values are fixed. */
  readonly fixedEnvironment: Record<string, unknown>;
  /** The asset's S3 key: its content hash, the same for the same bundle. */
  readonly code: unknown;
  /** Actions of the function role's policies, sorted. */
  readonly actions: string[];
}

export interface VaultFacts {
  /** By function description (`token-vault connect`, ...). */
  readonly functions: Record<string, FunctionFacts>;
  /** Tables by their key schema: indexes, TTL, billing, recovery, protection. */
  readonly tables: unknown[];
  /** How many resources of each type the vault made (the caller's own excluded). */
  readonly resourceCounts: Record<string, number>;
}

const FIXED_VARIABLES = [
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'TOKEN_VAULT_REFRESH_MARGIN_SECONDS',
  'TOKEN_VAULT_PROVIDER_TIMEOUT_MS',
];

/** The facts of every vault resource in the given templates (one stack, or the repository app's two). */
export function vaultFacts(
  templates: readonly Template[],
  isVaultPath: (logicalId: string) => boolean = () => true,
): VaultFacts {
  const resources = templates
    .flatMap((t) => Object.entries(t.Resources))
    .filter(([id, r]) => r.Type !== 'AWS::CDK::Metadata' && isVaultPath(id));
  const byId = new Map(resources);
  const functions: Record<string, FunctionFacts> = {};
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties!;
    const roleId = ((p.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'] ?? [])[0];
    const actions = resources
      .filter(
        ([, r]) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify((r.Properties as { Roles: unknown }).Roles).includes(`"${roleId}"`),
      )
      .flatMap(
        ([, r]) =>
          (r.Properties as { PolicyDocument: { Statement: { Action: string | string[] }[] } }).PolicyDocument.Statement,
      )
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    functions[String(p.Description)] = {
      runtime: p.Runtime,
      architectures: p.Architectures,
      handler: p.Handler,
      memorySize: p.MemorySize,
      timeout: p.Timeout,
      tracing: p.TracingConfig,
      loggingConfig: { ...(p.LoggingConfig as object), LogGroup: undefined },
      environment: Object.keys(variables).sort(),
      fixedEnvironment: Object.fromEntries(FIXED_VARIABLES.map((name) => [name, variables[name]])),
      code: (p.Code as { S3Key?: unknown }).S3Key,
      actions: [...new Set(actions)].sort(),
    };
    if (!byId.has(roleId)) throw new Error(`function ${String(p.Description)}: role ${roleId} is not in the templates`);
  }
  const tables = resources
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
    .map(([, r]) => {
      const p = r.Properties!;
      return {
        keys: p.KeySchema,
        attributes: p.AttributeDefinitions,
        indexes: p.GlobalSecondaryIndexes,
        ttl: p.TimeToLiveSpecification,
        billing: p.BillingMode,
        recovery: p.PointInTimeRecoverySpecification,
        protection: p.DeletionProtectionEnabled,
        encryption: p.SSESpecification,
      };
    })
    .sort((a, b) => JSON.stringify(a.keys).localeCompare(JSON.stringify(b.keys)));
  const resourceCounts: Record<string, number> = {};
  for (const [, r] of resources) resourceCounts[r.Type] = (resourceCounts[r.Type] ?? 0) + 1;
  return { functions, tables, resourceCounts };
}

/** Unacknowledged cdk-nag findings in a cdk.out's validation report (empty when clean). */
export function validationFindings(outdir: string): unknown[] {
  const path = join(outdir, 'validation-report.json');
  if (!existsSync(path)) return [];
  const report = JSON.parse(readFileSync(path, 'utf8')) as { pluginReports: { violations: unknown[] }[] };
  return report.pluginReports.flatMap((r) => r.violations);
}

/** The application both scratch apps configure: infra/config/example.json's, so the repository app's facts apply. */
export const EXAMPLE_APPLICATION = {
  applicationId: 'default',
  clientId: 'YOUR_CLIENT_ID',
  scopes: ['read'],
  returnTo: ['https://app.example.com/integrations/otesse'],
} as const;

/** cdk.json of a scratch app: its `app` command and the repository's feature flags (what `cdk init` would add). */
export function scratchCdkJson(app: string): string {
  const repository = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return JSON.stringify({ app, context: repository.context }, null, 2);
}

/** The `cdk` CLI of the repository (the scratch TypeScript app installs its own). */
export const REPOSITORY_CDK = join(REPOSITORY_ROOT, 'node_modules', '.bin', 'cdk');

/** `cdk synth` in a scratch app, as a user without AWS credentials runs it; returns cdk.out. */
export function cdkSynth(cdk: string, cwd: string, env: Record<string, string> = {}): string {
  const home = join(cwd, '.home');
  mkdirSync(home, { recursive: true });
  const outdir = join(cwd, 'cdk.out');
  run(cdk, ['synth', '--quiet', '--no-notices', '-o', outdir], {
    cwd,
    env: consumerEnv({ HOME: home, ...env }),
    timeoutMs: 600_000,
  });
  return outdir;
}
