import { STANDARD } from '../standard';
import type { ProviderProfile } from '../types';

/**
 * Salesforce (My Domain or login.salesforce.com). Token answers have no `expires_in` (the access token lives as
 * long as the org's session timeout); the `refresh_token` scope is needed for a refresh token, which does not
 * rotate. RFC 7009 form revocation on the same host.
 * @see https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5
 * @see https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_refresh_token_oauth.htm
 * @see https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm&type=5
 */
export const SALESFORCE: ProviderProfile = {
  id: 'salesforce',
  name: 'Salesforce',
  docs: [
    'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5',
    'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_refresh_token_oauth.htm',
    'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm&type=5',
  ],
  parameters: {
    instance: {
      kind: 'host',
      description:
        'the org host, e.g. mycompany.my.salesforce.com (sandboxes: mycompany--dev.sandbox.my.salesforce.com)',
      default: 'login.salesforce.com',
    },
  },
  endpoints: {
    authorizeUrl: 'https://{instance}/services/oauth2/authorize',
    tokenUrl: 'https://{instance}/services/oauth2/token',
    revocationUrl: 'https://{instance}/services/oauth2/revoke',
  },
  defaultScopes: ['api'],
  requiredScopes: ['refresh_token'],
  authorizationParameters: {},
  scopeSeparator: ' ',
  tokenEndpointAuth: 'client_secret_post',
  revocationBody: 'form',
  errorCodes: {},
  bearerTokenTypes: [],
  quirks: { ...STANDARD, rotatesRefreshTokens: false, omitsExpiresIn: true },
};
