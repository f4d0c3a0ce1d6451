/**
 * The vault's functions: contract names (docs/contract.md, also the local Invoke API names), handler entry files and
 * sizing. The package's build bundles one asset per entry and the construct deploys one Lambda per asset; the
 * repository's local stack serves the same handlers.
 */
export interface FunctionDefinition {
  /** Name in docs/contract.md and in the local Lambda Invoke API. */
  readonly name: string;
  /** Handler source file, relative to the @token-vault/cdk package (packages/cdk in the repository). */
  readonly entry: string;
  /**
   * Memory in MB, which also sets the function's CPU share (1,769 MB = one vCPU): the size `npm run bench --
   * cold-start` chose from its power-tuning table (README "Cold start under Lambda's CPU share, and power tuning").
   */
  readonly memoryMiB: number;
  /** Function timeout; provider calls time out well before (see PROVIDER_TIMEOUT_MS). */
  readonly timeoutSeconds: number;
  /** Invoked by callers through the Lambda Invoke API (true), or only by the HTTP API, the schedule or a queue (false). */
  readonly invokable: boolean;
}

export const FUNCTIONS = {
  connect: {
    name: 'connect',
    entry: 'functions/handlers/connect.ts',
    memoryMiB: 1024,
    timeoutSeconds: 10,
    invokable: true,
  },
  callback: {
    name: 'callback',
    entry: 'functions/handlers/callback.ts',
    memoryMiB: 1024,
    timeoutSeconds: 20,
    invokable: false,
  },
  tokenFetch: {
    name: 'token-fetch',
    entry: 'functions/handlers/token-fetch.ts',
    memoryMiB: 512,
    timeoutSeconds: 20,
    invokable: true,
  },
  refresh: {
    name: 'refresh',
    entry: 'functions/handlers/refresh.ts',
    memoryMiB: 512,
    timeoutSeconds: 60,
    invokable: true,
  },
  revoke: {
    name: 'revoke',
    entry: 'functions/handlers/revoke.ts',
    memoryMiB: 1024,
    timeoutSeconds: 30,
    invokable: true,
  },
  /** The scheduled sweep: finds the due work in the index and enqueues it. Invoked by the schedule rule only. */
  sweep: {
    name: 'refresh-sweep',
    entry: 'functions/handlers/refresh-sweep.ts',
    memoryMiB: 512,
    timeoutSeconds: 60,
    invokable: false,
  },
  /** Works the refresh queue (SQS event source, partial batch failures). Invoked by its event source mapping only. */
  refreshWorker: {
    name: 'refresh-worker',
    entry: 'functions/handlers/refresh-worker.ts',
    memoryMiB: 256,
    timeoutSeconds: 30,
    invokable: false,
  },
  /**
   * Migrations. 30 s: its longest path (read, claim, read again, secret, one provider attempt, then seven AWS
   * calls: read, data key, save, event put, retry queue, read-back, the claim's delete) is 25.3 s at the default
   * budgets.
   */
  importConnection: {
    name: 'import',
    entry: 'functions/handlers/import.ts',
    memoryMiB: 512,
    timeoutSeconds: 30,
    invokable: true,
  },
  status: {
    name: 'status',
    entry: 'functions/handlers/status.ts',
    memoryMiB: 1024,
    timeoutSeconds: 10,
    invokable: true,
  },
  complete: {
    name: 'complete',
    entry: 'functions/handlers/complete.ts',
    memoryMiB: 1024,
    timeoutSeconds: 30,
    invokable: true,
  },
  /** Invoked by CloudWatch Logs subscriptions only: copies audit records into the audit log group. */
  auditForwarder: {
    name: 'audit-forwarder',
    entry: 'functions/handlers/audit-forwarder.ts',
    memoryMiB: 256,
    timeoutSeconds: 30,
    invokable: false,
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionKey = keyof typeof FUNCTIONS;

/** HTTP routes of the HTTP API. */
export const HTTP_ROUTES = {
  CALLBACK: '/oauth/callback',
} as const;

/**
 * How every function is bundled (esbuild, by the package's build: scripts/build-assets.mjs), shared with the
 * benchmark so that its figures are those of the deployed code. Everything the handlers load is bundled, the AWS
 * SDK's credential providers included: the SDK's default credential chain loads them with `import()`, which the
 * Lambda runtime resolves from the bundle's own folder only (ESM resolution ignores NODE_PATH, where the runtime's
 * own SDK lives), so a provider left out fails with ERR_MODULE_NOT_FOUND wherever the chain reaches it.
 */
export const BUNDLING = {
  target: 'node24',
  minify: true,
  /** ESM entry points first: the SDK's ESM builds tree-shake to about half the size of its CommonJS ones. */
  mainFields: ['module', 'main'],
} as const;
