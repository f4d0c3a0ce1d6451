/**
 * The vault's functions: contract names (CONTRACT.md, also the local Invoke API names), handler entry files and
 * sizing. infra/ creates one Lambda per entry; local/ serves the same handlers.
 */
export interface FunctionDefinition {
  /** Name in CONTRACT.md and in the local Lambda Invoke API. */
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
