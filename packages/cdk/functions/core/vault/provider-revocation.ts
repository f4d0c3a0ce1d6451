/**
 * One provider revocation attempt's parts (RFC 7009): what it takes of the time budget, and the request itself.
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import type { EnvelopeCipher } from '../crypto/envelope';
import { OAuthError } from '../oauth/errors';
import type { RefreshTiming } from '../refresh/budget';
import type { ProviderGateway } from '../refresh/provider-gateway';
import type { PendingRevocation } from '../store/types';
import type { Deadline } from '../time/deadline';

/** What telling the provider uses. */
export interface ProviderRevocationDeps {
  readonly cipher: EnvelopeCipher;
  readonly provider: ProviderGateway;
  readonly timing: RefreshTiming;
}

/**
 * What one attempt takes after the pending item was read: open the refresh token (KMS), the client secret,
 * the provider, and the write that confirms it (or schedules the retry). Started only when it all fits, so the
 * confirming write is never cut off by the deadline.
 */
export function attemptMs(timing: RefreshTiming): number {
  return 3 * timing.awsCallMs + timing.providerTimeoutMs;
}

/**
 * Sends the refresh token to the provider's revocation endpoint. Confirmed: any 2xx (RFC 7009 §2.2: also for
 * tokens it does not know) and `unsupported_token_type` (it will never revoke this type). `invalid_client`
 * re-reads the client secret once (it may have been rotated). Anything else throws: not confirmed.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1
 */
export async function tellProvider(
  o: ProviderRevocationDeps,
  pending: PendingRevocation,
  deadline: Deadline,
): Promise<void> {
  const token = await o.cipher.open(pending, pending.encryptedDataKey, 'refreshToken', pending.refreshToken, deadline);
  let secret = await o.provider.clientSecret(pending.applicationId, deadline);
  for (let reloaded = false; ; reloaded = true) {
    try {
      await o.provider.revoke(pending.applicationId, token, secret, {
        signal: deadline.signal(o.timing.providerTimeoutMs),
        timeoutMs: o.timing.providerTimeoutMs,
      });
      return;
    } catch (error) {
      if (error instanceof OAuthError && error.providerError === 'unsupported_token_type') return;
      if (
        error instanceof OAuthError &&
        error.providerError === 'invalid_client' &&
        !reloaded &&
        // The secret's re-read, the provider again, and the confirming write after it.
        deadline.allows(2 * o.timing.awsCallMs + o.timing.providerTimeoutMs)
      ) {
        const fresh = await o.provider.clientSecret(pending.applicationId, deadline, true);
        if (fresh !== secret) {
          secret = fresh;
          continue;
        }
      }
      throw error;
    }
  }
}
