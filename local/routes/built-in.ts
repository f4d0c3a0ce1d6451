/** The routes every local stack serves: Invoke, the callback, `/connected` and `/healthz`. */
import { FUNCTIONS, HTTP_ROUTES } from '@token-vault/cdk/src/definitions/functions';
import { CONNECTED_PATH } from '../config';
import type { LocalRoute } from '../http/router';
import { sendJson } from '../http/respond';
import type { LoadedFunction } from '../lambda-api';
import { connectedPage } from './connected';
import { httpApi } from './http-api';
import { INVOKE_PATH } from '../lambda-api';
import { aliasesOf, invokeRoute } from './invoke';

/** The built-in routes over the loaded functions (Invoke serves only the invokable ones). */
export function builtInRoutes(
  functions: ReadonlyMap<string, LoadedFunction>,
  applicationIds: readonly string[],
): LocalRoute[] {
  const invokable = new Map([...functions].filter(([, fn]) => fn.definition.invokable));
  const callback = functions.get(FUNCTIONS.callback.name);
  if (!callback) throw new Error(`no ${FUNCTIONS.callback.name} function`);
  return [
    invokeRoute(invokable, INVOKE_PATH, aliasesOf(applicationIds)),
    { method: 'GET', path: HTTP_ROUTES.CALLBACK, handle: (request, res) => httpApi(callback, request, res) },
    { method: 'GET', path: CONNECTED_PATH, handle: (request, res) => Promise.resolve(connectedPage(request, res)) },
    {
      method: 'GET',
      path: '/healthz',
      handle: (_request, res) => Promise.resolve(sendJson(res, 200, { status: 'ok' })),
    },
  ];
}
