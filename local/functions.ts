/** Loading the vault's handlers from the @token-vault/cdk package, as Lambda would from their bundles. */
import { dirname, join } from 'node:path';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import type { LambdaHandler, LoadedFunction } from './lambda-api';

/** The @token-vault/cdk package: handler entries (FUNCTIONS[...].entry) are relative to it. */
const CDK_PACKAGE_ROOT = dirname(require.resolve('@token-vault/cdk/package.json'));

/** Set once the handler modules are loaded: from then on this process's configuration is fixed. */
let handlersLoaded = false;

/** True once {@link loadFunctions} has run in this process. */
export function functionsLoaded(): boolean {
  return handlersLoaded;
}

/**
 * Loads every handler in FUNCTIONS from its entry file. `require` (not `import()`): the project is CommonJS,
 * and both tsx and Jest hook `require` for TypeScript, while Jest refuses `import()` without VM modules.
 */
export function loadFunctions(): ReadonlyMap<string, LoadedFunction> {
  handlersLoaded = true;
  const loaded = new Map<string, LoadedFunction>();
  for (const definition of Object.values(FUNCTIONS)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    const mod = require(join(CDK_PACKAGE_ROOT, definition.entry)) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new Error(`${definition.entry} does not export a handler function`);
    loaded.set(definition.name, { definition, handler: mod.handler as LambdaHandler });
  }
  return loaded;
}
