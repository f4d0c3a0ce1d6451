/**
 * The construct's applications converted into the functions' configuration ({@link ApplicationConfig}, one JSON
 * environment variable). Validation reuses the schema the functions parse with, so a configuration that
 * synthesizes is one the functions accept. Internal: no public declaration refers to this module, so the package's
 * declarations never reach the schema's library.
 */
import { Token } from 'aws-cdk-lib';
import {
  applicationsSchema,
  DEFAULT_APPLICATION_ID,
  OTESSE_DEFAULTS,
  providerBehaviourOf,
  type ApplicationConfig,
  type ApplicationConfigInput,
  type ErrorCodeTarget as ErrorCodeTargetValue,
  type ProviderBehaviourFields,
  type RevocationBody as RevocationBodyValue,
  type ScopeSeparator as ScopeSeparatorValue,
  type TokenAuthMethod,
} from '../definitions/applications';
import { TokenVaultConfigError } from './errors';
import type {
  ErrorCodeTarget,
  RevocationBody,
  ScopeSeparator,
  TokenEndpointAuth,
  TokenVaultApplication,
} from './applications';
import type { Assert, Same } from './type-checks';

// The enums carry exactly the values the functions' configuration schema accepts (compile-time check).
export type EnumAgreement = [
  Assert<Same<`${TokenEndpointAuth}`, TokenAuthMethod>>,
  Assert<Same<`${RevocationBody}`, RevocationBodyValue>>,
  Assert<Same<`${ScopeSeparator}`, ScopeSeparatorValue>>,
  Assert<Same<`${ErrorCodeTarget}`, ErrorCodeTargetValue>>,
  // Every provider-behaviour field of the functions' configuration is a prop of TokenVaultApplication.
  Assert<Same<Exclude<keyof ProviderBehaviourFields, keyof TokenVaultApplication>, never>>,
];

/**
 * The application has one definition, the functions' schema ({@link ApplicationConfig}); TokenVaultApplication is
 * its jsii face, which jsii needs written out (no derived types in a public API). These checks keep the two one
 * shape: the same fields, except that the construct takes (or makes) the secret by ARN where the functions read it
 * by id, and each prop's value is one the schema accepts for that field (`profile` excepted: a string in the jsii
 * face, one of the profile ids in the schema, which checks it at synthesis).
 */
type Shared = Exclude<keyof TokenVaultApplication & keyof ApplicationConfigInput, 'profile'>;
type Accepted<K extends Shared> =
  NonNullable<TokenVaultApplication[K]> extends infer V
    ? V extends string
      ? `${V}`
      : V extends { [key: string]: infer E }
        ? { [key: string]: E extends string ? `${E}` : E }
        : V
    : never;
export type ShapeAgreement = [
  Assert<Same<Exclude<keyof ApplicationConfigInput, keyof TokenVaultApplication>, 'clientSecretId'>>,
  Assert<Same<Exclude<keyof TokenVaultApplication, keyof ApplicationConfigInput>, 'clientSecretArn'>>,
  Assert<{ [K in Shared]: Accepted<K> extends NonNullable<ApplicationConfigInput[K]> ? true : false }[Shared]>,
];

/** Values the vault fills in at synthesis time (tokens allowed). */
export interface ApplicationBindings {
  /** ARN of the client secret of the given application. */
  readonly clientSecretArn: (applicationId: string) => string;
  /** Callback URL of the deployed HTTP API. */
  readonly callbackUrl: string;
  /** Vault-wide `returnTo` allow-list for applications without their own. */
  readonly returnTo: string[];
}

/** Stand-ins for unresolved tokens so the functions' schema can check everything else at synthesis time. */
const TOKEN_STAND_INS = {
  clientSecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:placeholder-AbCdEf',
  redirectUri: 'https://placeholder.execute-api.us-east-1.amazonaws.com/oauth/callback',
} as const;

/** Complete secret ARN: partition, region, account, name and the 6-character random suffix. */
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/** Application id with the default applied. */
export function applicationIdOf(app: TokenVaultApplication): string {
  return app.applicationId ?? DEFAULT_APPLICATION_ID;
}

/**
 * The functions' configuration for each application (values may be tokens). Throws
 * {@link TokenVaultConfigError} when the functions' own schema would reject it.
 */
export function toApplicationConfigs(
  applications: TokenVaultApplication[],
  bindings: ApplicationBindings,
): ApplicationConfig[] {
  const configs = applications.map((app): ApplicationConfig => {
    const applicationId = applicationIdOf(app);
    return {
      applicationId,
      authorizeUrl: app.authorizeUrl ?? OTESSE_DEFAULTS.authorizeUrl,
      tokenUrl: app.tokenUrl ?? OTESSE_DEFAULTS.tokenUrl,
      revocationUrl: app.revocationUrl ?? OTESSE_DEFAULTS.revocationUrl,
      ...(app.issuer !== undefined ? { issuer: app.issuer } : {}),
      clientId: app.clientId,
      clientSecretId: bindings.clientSecretArn(applicationId),
      scopes: [...(app.scopes ?? [])],
      tokenEndpointAuth: app.tokenEndpointAuth ?? 'client_secret_post',
      revocationBody: app.revocationBody ?? 'json',
      redirectUri: app.redirectUri ?? bindings.callbackUrl,
      returnTo: [...(app.returnTo ?? bindings.returnTo)],
      // Only the opt-out is written: absent means bound, and the environment stays small.
      ...(app.sessionBinding === false ? { sessionBinding: false } : {}),
      ...providerBehaviourOf(app as Partial<ProviderBehaviourFields>),
    };
  });
  assertValid(configs);
  return configs;
}

/**
 * Checks the applications as far as possible without the vault's resources (ids, URLs, secret ARNs). Called
 * first by the constructs so that a wrong configuration fails before anything is bundled.
 */
export function validateApplications(applications: TokenVaultApplication[], returnTo: string[] = []): void {
  if (applications.length === 0) {
    throw new TokenVaultConfigError('applications: at least one application is required (e.g. { clientId: "..." }).');
  }
  for (const app of applications) {
    const arn = app.clientSecretArn;
    if (arn !== undefined && !Token.isUnresolved(arn) && !COMPLETE_SECRET_ARN.test(arn)) {
      throw new TokenVaultConfigError(
        `applications[${applicationIdOf(app)}].clientSecretArn: "${arn}" is not a complete secret ARN ` +
          '(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX); copy the ARN shown by `aws secretsmanager describe-secret`.',
      );
    }
  }
  toApplicationConfigs(applications, {
    clientSecretArn: () => TOKEN_STAND_INS.clientSecretId,
    callbackUrl: TOKEN_STAND_INS.redirectUri,
    returnTo,
  });
}

function assertValid(configs: ApplicationConfig[]): void {
  const checkable = configs.map((config) => ({
    ...config,
    clientSecretId: Token.isUnresolved(config.clientSecretId) ? TOKEN_STAND_INS.clientSecretId : config.clientSecretId,
    redirectUri: Token.isUnresolved(config.redirectUri) ? TOKEN_STAND_INS.redirectUri : config.redirectUri,
  }));
  // URLs first: the schema's http(s) refinement calls `new URL()`, which throws on a malformed URL.
  const malformed = checkable.flatMap((config) =>
    (
      [
        ['authorizeUrl', config.authorizeUrl],
        ['tokenUrl', config.tokenUrl],
        ['revocationUrl', config.revocationUrl],
        ['redirectUri', config.redirectUri],
        ...config.returnTo.map((url, i) => [`returnTo.${i}`, url] as const),
      ] as const
    )
      .filter(([, url]) => !URL.canParse(url))
      .map(([field, url]) => `applications[${config.applicationId}].${field}: "${url}" is not a URL`),
  );
  if (malformed.length > 0) {
    throw new TokenVaultConfigError(`Invalid application configuration:\n  ${malformed.join('\n  ')}`);
  }
  const parsed = applicationsSchema.safeParse(checkable);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const index = typeof issue.path[0] === 'number' ? issue.path[0] : undefined;
      const id = index !== undefined ? configs[index]?.applicationId : undefined;
      const field = issue.path.slice(index !== undefined ? 1 : 0).join('.');
      return `${id !== undefined ? `applications[${id}]` : 'applications'}${field ? `.${field}` : ''}: ${issue.message}`;
    });
    throw new TokenVaultConfigError(`Invalid application configuration:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Upper estimate of the applications JSON once deployed (tokens replaced by values of realistic maximum length),
 * to keep the functions' environment under Lambda's 4 KB limit.
 */
export function estimateApplicationsJsonBytes(applications: TokenVaultApplication[], returnTo: string[]): number {
  const configs = toApplicationConfigs(applications, {
    clientSecretArn: (id) =>
      `arn:aws-us-gov:secretsmanager:ap-southeast-5:123456789012:secret:${'x'.repeat(48)}-${id}-AbCdEf`,
    callbackUrl: 'https://abcdefghij.execute-api.ap-southeast-5.amazonaws.com/oauth/callback',
    returnTo,
  });
  return Buffer.byteLength(JSON.stringify(configs), 'utf8');
}
