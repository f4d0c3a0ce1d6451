/**
 * The simulation's adapter for the refresh core as the functions build it: the same services as
 * packages/cdk/functions/runtime/container.ts, wired to the simulated clients and clock, answering the way the handlers do.
 * The SDK settings are the container's own (`sdkClientConfig`), so the simulated requests time out exactly when
 * the real ones would.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  connectRequestSchema,
  refreshRequestSchema,
  revokeRequestSchema,
  tokenFetchRequestSchema,
} from '@token-vault/cdk/functions/contract/requests';
import { EnvelopeCipher } from '@token-vault/cdk/functions/core/crypto/envelope';
import { TokenSealer } from '@token-vault/cdk/functions/core/crypto/token-sealer';
import { RefreshCoordinator } from '@token-vault/cdk/functions/core/refresh/coordinator';
import { Refresher } from '@token-vault/cdk/functions/core/refresh/refresher';
import { sweepDue } from '@token-vault/cdk/functions/core/refresh/sweep';
import { encodeWorkMessage, type WorkMessage } from '@token-vault/cdk/functions/core/refresh/work-queue';
import { workBatch } from '@token-vault/cdk/functions/core/refresh/worker';
import { ClientSecretLoader } from '@token-vault/cdk/functions/core/secrets/client-secret-loader';
import { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import { LeaseStore } from '@token-vault/cdk/functions/core/store/lease-store';
import { PendingRevocations } from '@token-vault/cdk/functions/core/store/pending-revocations';
import { StateStore } from '@token-vault/cdk/functions/core/store/state-store';
import { FlowStore } from '@token-vault/cdk/functions/core/store/flow-store';
import type { Clock } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { ApplicationRegistry } from '@token-vault/cdk/functions/core/vault/applications';
import { AuthorizationService } from '@token-vault/cdk/functions/core/vault/authorization';
import { RegistryProviderGateway } from '@token-vault/cdk/functions/core/vault/provider-gateway';
import { RevocationService } from '@token-vault/cdk/functions/core/vault/revocation';
import { TokenService } from '@token-vault/cdk/functions/core/vault/token-service';
import { millis, readTunables } from '@token-vault/cdk/src/definitions/tunables';
import { errorAnswer } from '@token-vault/cdk/functions/runtime/answers';
import {
  loadApplications,
  loadProactiveRefresh,
  loadTunables,
  refreshTiming,
} from '@token-vault/cdk/functions/runtime/config';
import { RefreshSchedule } from '@token-vault/cdk/functions/core/refresh/schedule';
import { SDK_ATTEMPTS, sdkClientConfig } from '@token-vault/cdk/functions/runtime/sdk-config';
import type { CoreAdapter, ContainerDeps, SimAnswer, SimFunctions } from '../world';

const timing = refreshTiming(readTunables({}));

/** Configuration parsed once per world (every container of a world shares its environment object). */
const configs = new WeakMap<
  object,
  { tunables: ReturnType<typeof loadTunables>; applications: ReturnType<typeof loadApplications> }
>();
function configOf(env: Record<string, string>) {
  let config = configs.get(env);
  if (!config) configs.set(env, (config = { tunables: loadTunables(env), applications: loadApplications(env) }));
  return config;
}
const sdk = sdkClientConfig(timing.awsCallMs);

export const currentAdapter: CoreAdapter = {
  name: 'current',
  settleMs: (env) => refreshTiming(readTunables(env)).leaseMs,
  sdk: {
    requestTimeoutMs: sdk.requestHandler.throwOnRequestTimeout ? sdk.requestHandler.requestTimeout : undefined,
    maxAttempts: SDK_ATTEMPTS,
  },
  createContainer(deps: ContainerDeps): SimFunctions {
    const { tunables, applications: applicationConfigs } = configOf(deps.env);
    const t = refreshTiming(tunables);
    const clock: Clock = { now: deps.now, sleep: deps.sleep, timeoutSignal: deps.timeoutSignal };
    const connections = new ConnectionStore({
      client: deps.dynamodb,
      tableName: deps.env.TOKEN_VAULT_CONNECTIONS_TABLE!,
      callTimeoutMs: t.awsCallMs,
      now: deps.now,
    });
    const leases = new LeaseStore(connections.table, deps.now);
    const pending = new PendingRevocations(connections.table, deps.now);
    const states = new StateStore({
      client: deps.dynamodb,
      tableName: deps.env.TOKEN_VAULT_STATES_TABLE!,
      callTimeoutMs: t.awsCallMs,
      now: deps.now,
    });
    const flows = new FlowStore(
      { client: deps.dynamodb, tableName: deps.env.TOKEN_VAULT_STATES_TABLE!, callTimeoutMs: t.awsCallMs },
      deps.now,
    );
    const cipher = new EnvelopeCipher({
      kms: deps.kms as unknown as KMSClient,
      keyId: deps.env.TOKEN_VAULT_KEY_ID!,
      callTimeoutMs: t.awsCallMs,
    });
    // Data keys reused as the container configures them (100 writes, 24 h): the invariants hold with reuse on.
    const sealer = new TokenSealer(
      cipher,
      {
        defaultAccessTokenTtlMs: millis(tunables, 'defaultAccessTokenTtlSeconds'),
        defaultRefreshTokenTtlMs: millis(tunables, 'defaultRefreshTokenTtlSeconds'),
      },
      { maxWrites: tunables.dataKeyMaxWrites, maxAgeMs: millis(tunables, 'dataKeyMaxAgeSeconds') },
    );
    const secrets = new ClientSecretLoader({
      client: deps.secrets as unknown as SecretsManagerClient,
      callTimeoutMs: t.awsCallMs,
    });
    const applications = new ApplicationRegistry(applicationConfigs, {
      timeoutMs: t.providerTimeoutMs,
      fetch: deps.fetch,
      now: deps.now,
      timeoutSignal: deps.timeoutSignal,
    });
    const provider = new RegistryProviderGateway(applications, secrets);
    const marginMs = millis(tunables, 'refreshMarginSeconds');
    const common = { metrics: deps.metrics, logger: deps.logger };
    // SIM_EVENT_DELAY_MS (a setting of the simulation only): the functions publish lifecycle events, and each put
    // takes that long on the simulated clock (a slow or timed-out PutEvents between a deciding write and an answer).
    const eventDelayMs = Number(deps.env.SIM_EVENT_DELAY_MS ?? 0);
    const events = eventDelayMs > 0 ? { publish: () => clock.sleep(eventDelayMs) } : undefined;
    // The container's default policy (`used`, with the keep-alive track), unless the world's environment names one.
    const schedule = new RefreshSchedule({
      policy: loadProactiveRefresh(deps.env),
      marginMs,
      keepAliveLeadMs: millis(tunables, 'keepAliveLeadSeconds'),
      idleLimitMs: (applicationId) => {
        const seconds = applicationConfigs.find(
          (a) => a.applicationId === applicationId,
        )?.refreshTokenIdleExpirySeconds;
        return seconds === undefined ? undefined : seconds * 1000;
      },
    });
    const refresher = new Refresher({
      connections,
      leases,
      pending,
      sealer,
      provider,
      timing: t,
      marginMs,
      cooldownMs: millis(tunables, 'refreshCooldownSeconds'),
      schedule,
      clock,
      random: deps.random,
      ...(events ? { events } : {}),
      ...common,
    });
    const coordinator = new RefreshCoordinator({
      connections,
      leases,
      sealer,
      refresher,
      timing: t,
      policy: {
        marginMs,
        waitMs: millis(tunables, 'refreshWaitSeconds'),
        forcedRefreshMinIntervalMs: millis(tunables, 'forcedRefreshMinIntervalSeconds'),
      },
      schedule,
      clock,
      random: deps.random,
      ...common,
    });
    const tokens = new TokenService(coordinator, applications, common);
    const authorization = new AuthorizationService({
      applications,
      states,
      completion: { connections, pending, provider, sealer, timing: t, marginMs, flows },
      now: deps.now,
      ...(events ? { events } : {}),
      ...common,
    });
    const revocation = new RevocationService({
      applications,
      connections,
      pending,
      cipher,
      provider,
      timing: t,
      ...common,
    });
    const deadline = (remainingMs: () => number): Deadline => Deadline.fromRemaining(remainingMs(), clock);
    const answer = async (run: () => Promise<Record<string, unknown>>): Promise<SimAnswer> => {
      try {
        return { ok: true, ...(await run()) };
      } catch (error) {
        return errorAnswer(error, deps.logger) as unknown as SimAnswer;
      }
    };
    const tokenAnswer = (token: {
      accessToken: string;
      tokenType: string;
      expiresAt: number;
      scope: string;
    }): Record<string, unknown> => ({
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      expiresAt: new Date(token.expiresAt).toISOString(),
      scope: token.scope,
    });
    return {
      connect: (input, remaining) =>
        answer(async () => {
          const started = await authorization.start(connectRequestSchema.parse(input), deadline(remaining));
          return { authorizationUrl: started.authorizationUrl, expiresAt: new Date(started.expiresAt).toISOString() };
        }),
      callback: async (query, remaining) => {
        try {
          const outcome = await authorization.complete(query, deadline(remaining));
          if (outcome.status === 'pending') return { status: 'pending', flowHandle: outcome.flowHandle };
          return outcome.status === 'error' ? { status: 'error', error: outcome.error } : { status: 'connected' };
        } catch {
          return { status: 'error', error: 'internal_error' };
        }
      },
      complete: (input, remaining) =>
        answer(async () => ({
          ...(await authorization.completeFlow(input as { flowHandle: string; userId: string }, deadline(remaining))),
        })),
      tokenFetch: (input, remaining) =>
        answer(async () => tokenAnswer(await tokens.fetch(tokenFetchRequestSchema.parse(input), deadline(remaining)))),
      refresh: (input, remaining) =>
        answer(async () => tokenAnswer(await tokens.refresh(refreshRequestSchema.parse(input), deadline(remaining)))),
      revoke: (input, remaining) =>
        answer(async () => ({ ...(await revocation.revoke(revokeRequestSchema.parse(input), deadline(remaining))) })),
      // The sweep enqueues into a queue of this invocation, and the worker's batches (10 at once) work it within the
      // same deadline: what does not fit is left, and the next sweep enqueues it again (no memo here).
      sweep: (remaining) =>
        answer(async () => {
          const queued: WorkMessage[] = [];
          const d = deadline(remaining);
          const swept = await sweepDue(
            connections,
            {
              sendBatch: (messages) => Promise.resolve(void queued.push(...messages)).then(() => []),
              depth: () => Promise.resolve(0),
            },
            {
              horizonMs: millis(tunables, 'sweepLookaheadSeconds'),
              deadline: d,
              awsCallMs: t.awsCallMs,
              maxItems: 2000,
              ...common,
            },
          );
          const outcomes: Record<string, number> = {};
          for (let i = 0; i < queued.length; i += 10) {
            const batch = queued
              .slice(i, i + 10)
              .map((m, j) => ({ messageId: String(i + j), body: encodeWorkMessage(m) }));
            const result = await workBatch(
              batch,
              {
                refreshIfDue: (key, horizonMs, dd) => coordinator.refreshIfDue(key, horizonMs, dd),
                retryRevocation: (userId, itemKey, dd) => revocation.retryRevocation(userId, itemKey, dd),
              },
              { horizonMs: millis(tunables, 'sweepLookaheadSeconds'), deadline: d, timing: t, ...common },
            );
            for (const [k, v] of Object.entries(result.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
          }
          return { ...swept, ...outcomes };
        }),
    };
  },
};
