/**
 * @token-vault/cdk as CDK users install it. `npm pack` gives the npm tarball, jsii-pacmak the Python wheel (npm run
 * test:consumer builds it first). A scratch TypeScript CDK app installs the tarball with aws-cdk-lib, constructs,
 * cdk-nag and the CDK CLI from the registry; a scratch Python CDK app installs the wheel with aws-cdk-lib from PyPI
 * into a virtual environment (cached in .cache/consumer-python; only the wheel is reinstalled on later runs). Each
 * app makes `new TokenVault(...)` plus `grantFetch` for a caller function and runs `cdk synth` with cdk-nag's
 * AwsSolutions checks: every function of FUNCTIONS on nodejs24.x arm64, no unacknowledged finding, and the same template facts
 * as the repository's own app (infra/app.ts), down to the functions' code (the same asset hashes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadDeploymentConfig } from '../../infra/config';
import { addComplianceChecks, addTokenVaultStacks } from '../../infra/deployment';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import {
  CACHE_DIR,
  cdkSynth,
  EXAMPLE_APPLICATION,
  npmPack,
  pinnedVersion,
  readTemplates,
  REPOSITORY_CDK,
  REPOSITORY_ROOT,
  run,
  scratchCdkJson,
  scratchDir,
  tarballFiles,
  validationFindings,
  vaultFacts,
  type Template,
  type VaultFacts,
} from './support';

const CDK_PACKAGE = join(REPOSITORY_ROOT, 'packages', 'cdk');
/** aws-cdk-lib on PyPI: the package's lowest supported version (its peer dependency range starts there). */
const PYTHON_CDK_VERSIONS = [
  'aws-cdk-lib==2.275.0',
  `constructs==${pinnedVersion('constructs')}`,
  `cdk-nag==${pinnedVersion('cdk-nag')}`,
];

let repositoryFacts: VaultFacts;
let scratch: string;

beforeAll(() => {
  scratch = scratchDir('cdk-consumer');
  // The repository's own app, as `cdk synth` runs it with the example configuration.
  const app = new App({ outdir: join(scratch, 'repository.out') });
  addTokenVaultStacks(app, loadDeploymentConfig(() => undefined).config);
  addComplianceChecks(app);
  const assembly = app.synth();
  repositoryFacts = vaultFacts(
    assembly.stacks.map((s) => JSON.parse(readFileSync(s.templateFullPath, 'utf8')) as Template),
  );
}, 300_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

it('the repository app has every function of the definitions on nodejs24.x arm64', () => {
  expect(Object.keys(repositoryFacts.functions).sort()).toEqual(
    Object.values(FUNCTIONS)
      .map((fn) => `token-vault ${fn.name}`)
      .sort(),
  );
  for (const facts of Object.values(repositoryFacts.functions)) {
    expect(facts).toMatchObject({ runtime: 'nodejs24.x', architectures: ['arm64'], handler: 'index.handler' });
  }
});

/** What both scratch apps must show: the repository app's facts, for the vault's part of their one stack. */
function expectRepositoryFacts(outdir: string): Template {
  expect(validationFindings(outdir)).toEqual([]);
  const template = readTemplates(outdir).Consumer!;
  const facts = vaultFacts([template], (id) => id.startsWith('Vault'));
  expect(Object.values(facts.functions).map((f) => [f.runtime, f.architectures])).toEqual(
    Array(Object.keys(FUNCTIONS).length).fill(['nodejs24.x', ['arm64']]),
  );
  expect(facts).toEqual(repositoryFacts);
  // The caller may invoke token-fetch and nothing else of the vault.
  const policies = Object.entries(template.Resources).filter(
    ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('CallerRole'),
  );
  expect(JSON.stringify(policies.map(([, r]) => r.Properties))).toMatch(/"Action":"lambda:InvokeFunction"/);
  return template;
}

describe('TypeScript CDK app (npm tarball)', () => {
  let dir: string;
  let tarball: string;
  let outdir: string;
  let template: Template;

  beforeAll(() => {
    dir = join(scratch, 'ts-app');
    tarball = npmPack('@token-vault/cdk', join(scratch, 'tarballs'));
    const pkg = {
      name: 'ts-consumer',
      private: true,
      version: '1.0.0',
      dependencies: {
        '@token-vault/cdk': `file:${tarball}`,
        'aws-cdk-lib': pinnedVersion('aws-cdk-lib'),
        constructs: pinnedVersion('constructs'),
        'cdk-nag': pinnedVersion('cdk-nag'),
      },
      devDependencies: {
        'aws-cdk': pinnedVersion('aws-cdk'),
        typescript: pinnedVersion('typescript'),
        '@types/node': pinnedVersion('@types/node'),
      },
    };
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    writeFileSync(join(dir, 'app.ts'), TS_APP);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: false, types: ['node'] },
        files: ['app.ts'],
      }),
    );
    writeFileSync(join(dir, 'cdk.json'), scratchCdkJson('node app.js'));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
    run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir });
    outdir = cdkSynth(join(dir, 'node_modules', '.bin', 'cdk'), dir);
    template = readTemplates(outdir).Consumer!;
  }, 900_000);

  it('packs lib/, the prebuilt assets, .jsii, README and API.md; no sources, no build scripts', () => {
    const files = tarballFiles(tarball);
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'API.md', '.jsii', 'lib/index.js', 'lib/index.d.ts']),
    );
    for (const name of Object.values(FUNCTIONS).map((fn) => fn.name)) {
      expect(files).toEqual(expect.arrayContaining([`assets/${name}/index.js`, `assets/${name}/index.js.map`]));
    }
    expect(
      files.filter((f) => /^(src|functions|scripts|dist)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
    ).toEqual([]);
  });

  it('installs without esbuild or the function sources; aws-cdk-lib and constructs are peers, nothing else is needed', () => {
    expect(existsSync(join(dir, 'node_modules', 'esbuild'))).toBe(false);
    const manifest = JSON.parse(
      readFileSync(join(dir, 'node_modules', '@token-vault', 'cdk', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies).toEqual({ 'aws-cdk-lib': expect.any(String), constructs: expect.any(String) });
    const lib = join(dir, 'node_modules', '@token-vault', 'cdk', 'lib');
    const required = new Set<string>();
    const walk = (d: string): void => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js'))
          for (const [, m] of readFileSync(path, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) required.add(m!);
      }
    };
    walk(lib);
    expect([...required].filter((m) => !/^(aws-cdk-lib(\/.*)?|constructs|node:.*)$/.test(m))).toEqual([]);
  });

  it("synthesizes cdk-nag clean with the repository app's facts", () => {
    expectRepositoryFacts(outdir);
  });

  it('gets configuration errors as TokenVaultConfigError', () => {
    const out = run(process.execPath, ['-e', CONFIG_ERROR_PROBE], { cwd: dir }).stdout;
    expect(out).toContain('TokenVaultConfigError: true');
    expect(out).toContain('is not a URL');
  });

  describe('Python CDK app (wheel from jsii-pacmak)', () => {
    let pyOut: string;
    let wheel: string;
    let printed: string;

    beforeAll(() => {
      const wheels = existsSync(join(CDK_PACKAGE, 'dist', 'python'))
        ? readdirSync(join(CDK_PACKAGE, 'dist', 'python')).filter((f) => f.endsWith('.whl'))
        : [];
      if (wheels.length !== 1)
        throw new Error(
          `expected one wheel in packages/cdk/dist/python (npm run pacmak -w @token-vault/cdk), found ${wheels.length}`,
        );
      wheel = join(CDK_PACKAGE, 'dist', 'python', wheels[0]!);
      const venv = join(CACHE_DIR, 'consumer-python');
      const python = join(venv, 'bin', 'python');
      const stamp = join(venv, '.installed');
      const want = PYTHON_CDK_VERSIONS.join(' ');
      if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
        rmSync(venv, { recursive: true, force: true });
        run('python3', ['-m', 'venv', venv], { cwd: REPOSITORY_ROOT });
        run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PYTHON_CDK_VERSIONS, wheel], {
          cwd: REPOSITORY_ROOT,
          timeoutMs: 900_000,
        });
        writeFileSync(stamp, want);
      } else {
        run(
          python,
          ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--force-reinstall', '--no-deps', wheel],
          { cwd: REPOSITORY_ROOT },
        );
      }
      const pyDir = join(scratch, 'py-app');
      execFileSync('mkdir', ['-p', pyDir]);
      writeFileSync(join(pyDir, 'app.py'), PYTHON_APP);
      writeFileSync(join(pyDir, 'cdk.json'), scratchCdkJson(`${python} app.py`));
      pyOut = cdkSynth(REPOSITORY_CDK, pyDir, {
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
        JSII_DEPRECATED: 'quiet',
      });
      printed = run(python, ['-c', PYTHON_PROBE], {
        cwd: pyDir,
        env: { PATH: process.env.PATH ?? '', HOME: pyDir, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
      }).stdout;
    }, 1_200_000);

    it("synthesizes cdk-nag clean with the repository app's facts", () => {
      expectRepositoryFacts(pyOut);
    });

    it('makes the same vault resources as the TypeScript app', () => {
      const strip = (t: Template): Record<string, unknown> =>
        Object.fromEntries(
          Object.entries(t.Resources)
            .filter(([id]) => id.startsWith('Vault'))
            .map(([id, r]) => [id, { ...r, Metadata: undefined }]),
        );
      expect(strip(readTemplates(pyOut).Consumer!)).toEqual(strip(template));
    });

    it('names the wheel token-vault-cdk and gets configuration errors with their message', () => {
      expect(wheel).toMatch(/token_vault_cdk-0\.1\.0-py3-none-any\.whl$/);
      expect(printed).toContain('functions.token_fetch: token-fetch');
      expect(printed).toMatch(/configuration error: .*is not a URL/);
    });
  });
});

const TS_APP = `import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RevocationBody, TokenEndpointAuth, TokenVault } from '@token-vault/cdk';

const app = new App();
const stack = new Stack(app, 'Consumer');
const vault = new TokenVault(stack, 'Vault', {
  name: 'token-vault',
  applications: [
    {
      applicationId: '${EXAMPLE_APPLICATION.applicationId}',
      clientId: '${EXAMPLE_APPLICATION.clientId}',
      scopes: ${JSON.stringify(EXAMPLE_APPLICATION.scopes)},
      tokenEndpointAuth: TokenEndpointAuth.CLIENT_SECRET_POST,
      revocationBody: RevocationBody.JSON,
      returnTo: ${JSON.stringify(EXAMPLE_APPLICATION.returnTo)},
    },
  ],
});
// The caller has a role of its own (no managed policy): it may invoke token-fetch, nothing else.
const role = new iam.Role(stack, 'CallerRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
const caller = new lambda.Function(stack, 'Caller', {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  handler: 'index.handler',
  role,
  code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
  environment: { TOKEN_VAULT_TOKEN_FETCH_FUNCTION: vault.functions.tokenFetch.function.functionName },
});
vault.grantFetch(caller);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

const CONFIG_ERROR_PROBE = `
const { App, Stack } = require('aws-cdk-lib');
const { TokenVault, TokenVaultConfigError } = require('@token-vault/cdk');
try {
  new TokenVault(new Stack(new App(), 'S'), 'V', { applications: [{ clientId: 'x', authorizeUrl: 'not a url' }] });
} catch (e) {
  console.log('TokenVaultConfigError: ' + (e instanceof TokenVaultConfigError) + ' ' + e.message);
}
`;

const PYTHON_APP = `import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks
from token_vault_cdk import RevocationBody, TokenEndpointAuth, TokenVault, TokenVaultApplication

app = cdk.App()
stack = cdk.Stack(app, "Consumer")
vault = TokenVault(stack, "Vault",
    name="token-vault",
    applications=[TokenVaultApplication(
        application_id="${EXAMPLE_APPLICATION.applicationId}",
        client_id="${EXAMPLE_APPLICATION.clientId}",
        scopes=${JSON.stringify(EXAMPLE_APPLICATION.scopes)},
        token_endpoint_auth=TokenEndpointAuth.CLIENT_SECRET_POST,
        revocation_body=RevocationBody.JSON,
        return_to=${JSON.stringify(EXAMPLE_APPLICATION.returnTo)},
    )],
)
# The caller has a role of its own (no managed policy): it may invoke token-fetch, nothing else.
role = iam.Role(stack, "CallerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
caller = lambda_.Function(stack, "Caller",
    runtime=lambda_.Runtime.NODEJS_24_X,
    architecture=lambda_.Architecture.ARM_64,
    handler="index.handler",
    role=role,
    code=lambda_.Code.from_inline("exports.handler = async () => ({ ok: true });"),
    environment={"TOKEN_VAULT_TOKEN_FETCH_FUNCTION": vault.functions.token_fetch.function.function_name},
)
vault.grant_fetch(caller)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
`;

const PYTHON_PROBE = `
import aws_cdk as cdk
from token_vault_cdk import TokenVault, TokenVaultApplication
stack = cdk.Stack(cdk.App(), "Probe")
vault = TokenVault(stack, "Vault", applications=[TokenVaultApplication(client_id="abc")])
print("functions.token_fetch:", vault.functions.token_fetch.definition.name)
try:
    TokenVault(stack, "Bad", applications=[TokenVaultApplication(client_id="x", authorize_url="not a url")])
except Exception as e:
    print("configuration error:", " ".join(str(e).split()))
`;
