/**
 * token-fetch's core as the benchmark runs it: the container's own stores, clients and time model (built as the
 * handlers build them), without metrics or logs, optionally with the caches or in-process coalescing off. Kept
 * apart from stack.ts so that bench/memory-child.ts bundles only the functions' code.
 */
import { DataKeyCache } from '@token-vault/cdk/functions/core/crypto/data-key-cache';
import { EnvelopeCipher } from '@token-vault/cdk/functions/core/crypto/envelope';
import { TokenSealer } from '@token-vault/cdk/functions/core/crypto/token-sealer';
import { RefreshCoordinator } from '@token-vault/cdk/functions/core/refresh/coordinator';
import { Refresher } from '@token-vault/cdk/functions/core/refresh/refresher';
import { ClientSecretLoader } from '@token-vault/cdk/functions/core/secrets/client-secret-loader';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { RegistryProviderGateway } from '@token-vault/cdk/functions/core/vault/provider-gateway';
import { TokenService } from '@token-vault/cdk/functions/core/vault/token-service';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import type { Container } from '@token-vault/cdk/functions/runtime/container';

export interface BenchTokenServiceOptions {
  /** In-process coalescing of concurrent refreshes (off: every caller goes through the DynamoDB lease). @default true */
  readonly coalesce?: boolean;
  /** The container's caches (off: DataKeyCache disabled, client secrets max age 0). @default true */
  readonly caches?: boolean;
  /** KMS key of the sealer when the caches are off. @default the environment's TOKEN_VAULT_KEY_ID */
  readonly keyId?: string;
}

/** token-fetch's TokenService on `container`, without metrics or logs. */
export function benchTokenService(container: Container, options: BenchTokenServiceOptions = {}): TokenService {
  const caches = options.caches ?? true;
  const { tunables, timing } = container;
  const sealer = caches
    ? container.sealer()
    : new TokenSealer(
        new EnvelopeCipher({
          kms: container.kmsClient(),
          keyId: options.keyId ?? process.env[ENV.KEY_ID]!,
          callTimeoutMs: timing.awsCallMs,
          cache: new DataKeyCache({ enabled: false }),
        }),
        {
          defaultAccessTokenTtlMs: millis(tunables, 'defaultAccessTokenTtlSeconds'),
          defaultRefreshTokenTtlMs: millis(tunables, 'defaultRefreshTokenTtlSeconds'),
        },
      );
  const provider = caches
    ? container.provider()
    : new RegistryProviderGateway(
        container.applications(),
        new ClientSecretLoader({ client: container.secretsManagerClient(), maxAgeSeconds: 0 }),
      );
  const refresher = new Refresher({
    connections: container.connections(),
    leases: container.leases(),
    pending: container.pending(),
    sealer,
    provider,
    timing,
    marginMs: millis(tunables, 'refreshMarginSeconds'),
    cooldownMs: millis(tunables, 'refreshCooldownSeconds'),
    clock: container.clock,
    random: Math.random,
  });
  const coordinator = new RefreshCoordinator({
    connections: container.connections(),
    leases: container.leases(),
    sealer,
    refresher,
    timing,
    policy: {
      marginMs: millis(tunables, 'refreshMarginSeconds'),
      waitMs: millis(tunables, 'refreshWaitSeconds'),
      forcedRefreshMinIntervalMs: millis(tunables, 'forcedRefreshMinIntervalSeconds'),
    },
    clock: container.clock,
    random: Math.random,
    ...(options.coalesce === undefined ? {} : { coalesce: options.coalesce }),
  });
  return new TokenService(coordinator, container.applications());
}

/** The deadline of one token-fetch invocation: the function's whole timeout ahead (as at the start of a call). */
export function fetchDeadline(): Deadline {
  return Deadline.fromRemaining(FUNCTIONS.tokenFetch.timeoutSeconds * 1000, SYSTEM_CLOCK);
}
