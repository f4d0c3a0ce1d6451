/**
 * The authorization flow's vocabulary: what the callback receives and answers, the failure reasons it counts, what
 * `complete` answers, and the service's options.
 */
import type { EventPublisher } from '../events/publisher';
import type { VaultLogger, VaultMetrics } from '../observability';
import type { FlowStore } from '../store/flow-store';
import type { StateStore } from '../store/state-store';
import type { ApplicationRegistry } from './applications';
import type { SaverDependencies } from './connection-saver';

/** Codes the callback may put in `error=` of the redirect: a fixed set, nothing from the request is reflected. */
export const CALLBACK_ERROR_CODES = [
  'access_denied',
  'invalid_request',
  'authorization_failed',
  'provider_unavailable',
  'internal_error',
] as const;
export type CallbackErrorCode = (typeof CALLBACK_ERROR_CODES)[number];

/** Values of the AuthorizationFailure metric's Reason dimension. */
export type AuthorizationFailureReason =
  | 'invalid_request'
  | 'bad_state'
  | 'expired_state'
  | 'denied'
  | 'provider_error'
  | 'iss_mismatch'
  | 'exchange_failed'
  | 'browser_mismatch'
  | 'flow_ended'
  | 'revocation_pending'
  | 'internal'
  | 'session_mismatch'
  | 'flow_unknown'
  | 'flow_expired';

export interface CallbackParameters {
  readonly code?: string;
  readonly state?: string;
  readonly iss?: string;
  readonly error?: string;
  /** Value of the browser-binding cookie, when the caller's browser sent one. */
  readonly browserBinding?: string;
}

export type CallbackOutcome =
  | {
      readonly status: 'connected';
      readonly userId: string;
      readonly applicationId: string;
      readonly returnTo?: string;
    }
  /** Session binding: the tokens are parked until the application calls `complete` with the same user. */
  | {
      readonly status: 'pending';
      readonly userId: string;
      readonly applicationId: string;
      readonly returnTo: string;
      readonly flowHandle: string;
    }
  | {
      readonly status: 'error';
      readonly error: CallbackErrorCode;
      readonly reason: AuthorizationFailureReason;
      readonly applicationId?: string;
      readonly returnTo?: string;
    };

/** The authorization service's dependencies and tunables. */
export interface AuthorizationServiceOptions {
  /** The configured applications: provider endpoints, scopes, `returnTo` allow-lists, session binding. */
  readonly applications: ApplicationRegistry;
  /** The single-use `state` of each started flow. */
  readonly states: StateStore;
  /**
   * What `complete` needs; `start` (the connect function) runs without them, with no token-table or key access.
   * @default - `start` only: the callback and `completeFlow` throw
   */
  readonly completion?: SaverDependencies & {
    /** Parked flows of session-bound applications (README "Session binding"). */
    readonly flows: FlowStore;
  };
  /**
   * Where counts (`AuthorizationFailure` by reason) go.
   * @default - nothing is recorded
   */
  readonly metrics?: VaultMetrics;
  /**
   * Where warnings and errors go (never codes, tokens or secrets).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
  /**
   * Lifecycle events (`Connection Connected`), published after the save committed.
   * @default - no events are published
   */
  readonly events?: EventPublisher;
  /**
   * The clock, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * How long a started flow's `state` stays valid.
   * @default 10 minutes (`STATE_TTL_SECONDS`)
   */
  readonly stateTtlMs?: number;
  /**
   * Lifetime of a parked flow's handle.
   * @default 5 minutes (`FLOW_HANDLE_TTL_SECONDS`)
   */
  readonly flowHandleTtlMs?: number;
}

/** The answer of `complete`. */
export interface FlowCompletion {
  /** The application the flow connected. */
  readonly applicationId: string;
  /** Whether the connection replaced one that was there (a reconnect). */
  readonly reconnected: boolean;
}
