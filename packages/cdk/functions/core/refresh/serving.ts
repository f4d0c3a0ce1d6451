/**
 * The serve path: opens the stored access token, marks its use, and answers only after a deciding read or write
 * that found the connection live with it.
 */
import { VaultError } from '../errors';
import { NO_LOGS, type VaultLogger } from '../observability';
import type { ActiveConnection, Connection } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { IssuedToken, RefreshCoordinatorOptions } from './coordinator-options';
import type { RefreshDemand } from './demand';
import { isServable, satisfiesValidity } from './policy';
import type { UseMark } from './use-mark';

/** What serving found: the token to answer, or a connection to decide anew from. */
export type Serving =
  | { readonly kind: 'token'; readonly token: IssuedToken }
  | { readonly kind: 'reread'; readonly current: Connection | undefined };

/** Serves a connection's stored token, or the token a commit just stored. */
export class TokenServing {
  private readonly logger: VaultLogger;

  constructor(
    private readonly o: RefreshCoordinatorOptions,
    /** How much a token just refreshed may have aged when served (see the coordinator). */
    private readonly settleMs: number,
    private readonly useMark: UseMark,
  ) {
    this.logger = o.logger ?? NO_LOGS;
  }

  /**
   * Serves the connection's access token. When opening it needs KMS (or `usedKms` says it already did), the
   * connection is read again: the deciding read must be the last call before the answer. The token must still
   * answer the demand when the answer leaves (a slow KMS call eats validity); otherwise decide again.
   */
  async serve(
    active: ActiveConnection,
    demand: RefreshDemand,
    opened: string | undefined,
    usedKms: boolean,
    deadline: Deadline,
  ): Promise<Serving> {
    const needsKms = usedKms || (opened === undefined && this.o.sealer.needsKms(active));
    const token = opened ?? (await this.o.sealer.openAccessToken(active, deadline));
    // The used policy's mark is a conditional write that finds the connection live: when it lands, it decides the
    // answer; when it does not (a conflict, or an unknown outcome), the answer waits for a consistent read, as after
    // a KMS call, so a revoke that answered meanwhile is seen.
    const mark =
      demand.kind === 'proactive' ? 'skipped' : await this.useMark.markUsed(active, this.o.clock.now(), deadline);
    if (mark === 'failed' || (needsKms && mark !== 'marked')) {
      const current = await this.o.connections.get(active, deadline);
      if (current?.status !== 'active' || current.version !== active.version) return { kind: 'reread', current };
    }
    const now = this.o.clock.now();
    const answers =
      demand.kind === 'valid'
        ? satisfiesValidity(active.tokens, demand.minValidityMs, now, this.settleMs)
        : isServable(active.tokens, now);
    return answers ? { kind: 'token', token: this.issue(active, token) } : { kind: 'reread', current: active };
  }

  /**
   * The answer's token. Only Bearer tokens are served: a provider that issues another type (DPoP, MAC) is a
   * configuration problem, answered with an error naming it (the tokens stay stored, so the rotation chain holds).
   */
  issue(connection: ActiveConnection, accessToken: string): IssuedToken {
    const type = connection.tokens.tokenType;
    if (type !== 'Bearer') {
      this.logger.error('The provider issued a token type the vault cannot serve: operator action needed.', {
        userId: connection.userId,
        applicationId: connection.applicationId,
        tokenType: type,
      });
      throw new VaultError(
        'internal_error',
        `The provider issued a ${type} token; only Bearer tokens can be served (check the provider's client configuration).`,
      );
    }
    return issued(connection, accessToken);
  }
}

function issued(connection: ActiveConnection, accessToken: string): IssuedToken {
  return {
    accessToken,
    tokenType: connection.tokens.tokenType,
    expiresAt: connection.tokens.accessTokenExpiresAt,
    scope: connection.tokens.scope,
  };
}
