/**
 * Optional CDK construct for the example caller (`handler.ts`): a Lambda function that may invoke the vault's
 * `token-fetch` and `refresh` functions (and nothing else of the vault), with their names in its environment.
 *
 * @example
 * const vault = new TokenVault(this, 'TokenVault', { applications: [{ clientId: 'your-client-id' }] });
 * new OtesseCaller(this, 'OtesseCaller', { vault });
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CLIENT_ENV } from '@token-vault/client';
import { BUNDLING } from '@token-vault/cdk/lib/definitions/functions';
import type { TokenVault } from '@token-vault/cdk';

const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');

/** Props of {@link OtesseCaller}. */
export interface OtesseCallerProps {
  /** The vault whose tokens the function uses. */
  readonly vault: TokenVault;
  /**
   * Base URL of the provider's API (`OTESSE_API_BASE_URL`).
   * @default - the client's default, https://api.otesse.com/v1
   */
  readonly apiBaseUrl?: string;
  /**
   * Function timeout: room for a token-fetch (up to 20 s when it has to refresh), the API call and its retries.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/** The example caller Lambda, granted `grantFetch` and `grantRefresh` on the vault. */
export class OtesseCaller extends Construct {
  public readonly function: nodejs.NodejsFunction;

  public constructor(scope: Construct, id: string, props: OtesseCallerProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role with no AWS managed policy: writing to its log group and invoking the two vault functions.
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'token-vault example: calls the Otesse API for a user',
      entry: path.join(REPOSITORY_ROOT, 'examples', 'otesse-caller', 'handler.ts'),
      handler: 'handler',
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: path.join(REPOSITORY_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        [CLIENT_ENV.TOKEN_FETCH_FUNCTION]: props.vault.functions.tokenFetch.function.functionName,
        [CLIENT_ENV.REFRESH_FUNCTION]: props.vault.functions.refresh.function.functionName,
        ...(props.apiBaseUrl === undefined ? {} : { OTESSE_API_BASE_URL: props.apiBaseUrl }),
      },
      bundling: {
        minify: BUNDLING.minify,
        target: BUNDLING.target,
        format: nodejs.OutputFormat.CJS,
        mainFields: [...BUNDLING.mainFields],
        bundleAwsSDK: true,
        forceDockerBundling: false,
        logLevel: nodejs.LogLevel.WARNING,
      },
    });
    props.vault.grantFetch(this.function);
    props.vault.grantRefresh(this.function);
  }
}
