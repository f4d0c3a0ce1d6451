/**
 * The HTTP API with the vault's only public route, `GET /oauth/callback` (the provider redirects the user's
 * browser there), on a throttled `$default` stage with JSON access logs.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_ROUTES } from '../definitions/functions';

/** Default stage throttling: generous for people completing a consent screen, tight for anything scripted. */
export const DEFAULT_CALLBACK_THROTTLE: apigwv2.ThrottleSettings = { rateLimit: 20, burstLimit: 40 };

/**
 * Access log fields. Deliberately no query string: `code` and `state` travel there, so `$context.path` (path
 * only) and `$context.routeKey` are logged instead of the full request line.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
};

/** Props of {@link CallbackApi}. */
export interface CallbackApiProps {
  /** The callback function. */
  readonly handler: lambda.IFunction;
  /**
   * Steady-state rate and burst for the stage.
   * @default DEFAULT_CALLBACK_THROTTLE (20 requests/s, burst 40)
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The HTTP API with the vault's only public route, `GET /oauth/callback`, on a throttled `$default` stage with JSON
 * access logs that leave out the query string (where `code` and `state` travel).
 */
export class CallbackApi extends Construct {
  /** The HTTP API. */
  public readonly api: apigwv2.HttpApi;
  /** Its `$default` stage (throttled, access-logged). */
  public readonly stage: apigwv2.HttpStage;
  /** The access log group (retained). */
  public readonly accessLogs: logs.LogGroup;
  /** Full callback URL: register it at the provider as the redirect URI. */
  public readonly callbackUrl: string;

  public constructor(scope: Construct, id: string, props: CallbackApiProps) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'token-vault OAuth callback',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULT_CALLBACK_THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const [route] = this.api.addRoutes({
      path: HTTP_ROUTES.CALLBACK,
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('Callback', props.handler),
    });
    if (route !== undefined) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          "OAuth redirect endpoint: the provider sends the user's browser here, which carries no AWS or bearer credentials. The request is authorized by its single-use, 10-minute, >=128-bit state value (RFC 6749 §10.12), checked by the callback function.",
      });
    }
    this.callbackUrl = `${this.api.apiEndpoint}${HTTP_ROUTES.CALLBACK}`;
  }
}
