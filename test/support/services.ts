/**
 * The vault services of packages/cdk/functions/core/vault built directly, wired as the container wires its own (on
 * the container's stores, sealer and provider) with some parts replaced: a metrics recorder, a clock. For the
 * services' own tests, which call them without a handler in between.
 */
import type { VaultLogger, VaultMetrics } from '@token-vault/cdk/functions/core/observability';
import { AuthorizationService } from '@token-vault/cdk/functions/core/vault/authorization';
import type { ApplicationRegistry } from '@token-vault/cdk/functions/core/vault/applications';
import { RegistryProviderGateway } from '@token-vault/cdk/functions/core/vault/provider-gateway';
import type { ProviderGateway } from '@token-vault/cdk/functions/core/refresh/provider-gateway';
import { RevocationService } from '@token-vault/cdk/functions/core/vault/revocation';
import type { EventPublisher } from '@token-vault/cdk/functions/core/events/publisher';
import type { FlowStore } from '@token-vault/cdk/functions/core/store/flow-store';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import type { Container } from '@token-vault/cdk/functions/runtime/container';
import { completeAuthorization } from '../../local/authorize';
import { registerSensitive } from './leak-guard';
import { testDeadline } from './refresh';

/** Parts of a service to replace. */
export interface ServiceParts {
  /** The applications, and the provider gateway over them. @default the container's */
  readonly applications?: ApplicationRegistry;
  /** @default none */
  readonly metrics?: VaultMetrics;
  /** @default none */
  readonly logger?: VaultLogger;
  /** @default none */
  readonly events?: EventPublisher;
  /** The authorization service's clock. @default Date.now */
  readonly now?: () => number;
  /** The parked flows of session binding. @default the container's */
  readonly flows?: FlowStore;
}

/** The container's provider gateway, or one over the replaced applications. */
function providerOf(container: Container, parts: ServiceParts): ProviderGateway {
  return parts.applications === undefined
    ? container.provider()
    : new RegistryProviderGateway(parts.applications, container.secrets());
}

function optional(parts: ServiceParts): Pick<ServiceParts, 'metrics' | 'logger' | 'events'> {
  return {
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
    ...(parts.logger === undefined ? {} : { logger: parts.logger }),
    ...(parts.events === undefined ? {} : { events: parts.events }),
  };
}

/** An authorization service with its completion dependencies (what the callback's container builds). */
export function authorizationOf(container: Container, parts: ServiceParts = {}): AuthorizationService {
  return new AuthorizationService({
    applications: parts.applications ?? container.applications(),
    states: container.states(),
    completion: {
      connections: container.connections(),
      pending: container.pending(),
      provider: providerOf(container, parts),
      sealer: container.sealer(),
      timing: container.timing,
      marginMs: millis(container.tunables, 'refreshMarginSeconds'),
      flows: parts.flows ?? container.flows(),
    },
    ...optional(parts),
    ...(parts.now === undefined ? {} : { now: parts.now }),
  });
}

/** A revocation service (what the revoke function's container builds). */
export function revocationOf(container: Container, parts: ServiceParts = {}): RevocationService {
  return new RevocationService({
    applications: parts.applications ?? container.applications(),
    connections: container.connections(),
    pending: container.pending(),
    cipher: container.cipher(),
    provider: providerOf(container, parts),
    timing: container.timing,
    ...optional(parts),
  });
}

/**
 * The provider's redirect back to the vault for a flow `service` started: the user `loginHint` approved at the
 * development provider (`deny` refuses). The code and state are registered as sensitive.
 */
export async function approve(
  service: AuthorizationService,
  request: { userId: string; applicationId?: string; returnTo?: string },
  loginHint = request.userId,
): Promise<URLSearchParams> {
  const { authorizationUrl } = await service.start({ applicationId: 'default', ...request }, testDeadline());
  const redirect = await completeAuthorization(authorizationUrl, { loginHint });
  registerSensitive(redirect.searchParams.get('code') ?? undefined, redirect.searchParams.get('state') ?? undefined);
  return redirect.searchParams;
}

/** Connects a user straight through `service` (start, the provider's approval, complete); expects success. */
export async function connectThrough(service: AuthorizationService, userId: string): Promise<void> {
  const query = await approve(service, { userId });
  const outcome = await service.complete(Object.fromEntries(query), testDeadline());
  if (outcome.status !== 'connected') throw new Error(`not connected: ${JSON.stringify(outcome)}`);
}
