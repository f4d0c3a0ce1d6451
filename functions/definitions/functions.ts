/**
 * The vault's functions: contract names (docs/contract.md, also the local Invoke API names), handler entry files and
 * sizing. infra/ creates one Lambda per entry; local/ serves the same handlers.
 */
export interface FunctionDefinition {
  /** Name in docs/contract.md and in the local Lambda Invoke API. */
  readonly name: string;
  /** Handler source file, relative to the repository root. */
  readonly entry: string;
  readonly memoryMiB: number;
  /** Function timeout; provider calls time out well before (see PROVIDER_TIMEOUT_MS). */
  readonly timeoutSeconds: number;
  /** Invoked through the Lambda Invoke API (true) or through the HTTP API (false). */
  readonly invokable: boolean;
}

export const FUNCTIONS = {
  connect: { name: 'connect', entry: 'functions/handlers/connect.ts', memoryMiB: 256, timeoutSeconds: 10, invokable: true },
  callback: { name: 'callback', entry: 'functions/handlers/callback.ts', memoryMiB: 256, timeoutSeconds: 20, invokable: false },
  tokenFetch: { name: 'token-fetch', entry: 'functions/handlers/token-fetch.ts', memoryMiB: 256, timeoutSeconds: 20, invokable: true },
  refresh: { name: 'refresh', entry: 'functions/handlers/refresh.ts', memoryMiB: 256, timeoutSeconds: 60, invokable: true },
  revoke: { name: 'revoke', entry: 'functions/handlers/revoke.ts', memoryMiB: 256, timeoutSeconds: 30, invokable: true },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionKey = keyof typeof FUNCTIONS;

/** HTTP routes of the HTTP API. */
export const HTTP_ROUTES = {
  CALLBACK: '/oauth/callback',
} as const;

/**
 * How every function is bundled (esbuild), shared by infra/ (NodejsFunction) and the benchmark, so the figures
 * are those of the deployed code.
 */
export const BUNDLING = {
  target: 'node24',
  minify: true,
  /** ESM entry points first: the SDK's ESM builds tree-shake to about half the size of its CommonJS ones. */
  mainFields: ['module', 'main'],
  /**
   * Left to the Lambda runtime's own AWS SDK: credential providers the default chain loads lazily only when no
   * environment credentials exist. Lambda always sets them, so these are never loaded there; bundling them added
   * about 90 KB to every function.
   */
  externalModules: [
    '@aws-sdk/nested-clients',
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-login',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-web-identity',
    '@aws-sdk/token-providers',
  ],
} as const;
