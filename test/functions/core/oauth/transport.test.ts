/**
 * The OAuth client's transport: the body read as a stream up to its limit, timeouts from an injected signal
 * factory, per-call timeouts and caller signals (reported like timeouts).
 */
import { MAX_BODY_BYTES, readLimited } from '@token-vault/cdk/functions/core/oauth/http';
import { clientAnswering, failure, json } from './fake-fetch';

/** A body stream that produces `chunks` chunks of `size` bytes on demand, counting pulls and noticing cancel. */
function countingStream(chunks: number, size: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= chunks) {
        controller.close();
        return;
      }
      state.pulled += 1;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe('OAuthClient transport', () => {
  describe('body size limit', () => {
    it('stops reading and cancels the stream once the body passes 64 KiB', async () => {
      const { stream, state } = countingStream(1000, 16 * 1024); // would be 16 MB
      const result = await readLimited(new Response(stream, { status: 200 }), MAX_BODY_BYTES);
      expect(result).toEqual({ tooLarge: true });
      expect(state.cancelled).toBe(true);
      expect(state.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES / (16 * 1024) + 2);
    });

    it('does not read at all when Content-Length already says too much', async () => {
      const { stream, state } = countingStream(1000, 16 * 1024);
      const result = await readLimited(
        new Response(stream, { headers: { 'content-length': String(MAX_BODY_BYTES + 1) } }),
        MAX_BODY_BYTES,
      );
      expect(result).toEqual({ tooLarge: true });
      expect(state.pulled).toBeLessThanOrEqual(1);
      expect(state.cancelled).toBe(true);
    });

    it('reads a body of exactly the limit, split across chunks', async () => {
      const { stream } = countingStream(4, MAX_BODY_BYTES / 4);
      const result = await readLimited(new Response(stream), MAX_BODY_BYTES);
      expect(result.tooLarge).toBe(false);
      expect(result.tooLarge === false && result.text.length).toBe(MAX_BODY_BYTES);
    });

    it('classifies an oversized 200 as invalid_response and an oversized 503 as server_error', async () => {
      const big = () => new Response(countingStream(100, 16 * 1024).stream, { status: 200 });
      const error = await failure(clientAnswering(big).client.refresh('rt', 's'));
      expect(error.code).toBe('invalid_response');
      expect(error.message).toBe(`The provider answered HTTP 200 with a body larger than ${MAX_BODY_BYTES} bytes.`);
      const down = () => new Response(countingStream(100, 16 * 1024).stream, { status: 503 });
      expect((await failure(clientAnswering(down).client.refresh('rt', 's'))).code).toBe('server_error');
    });
  });

  describe('timeouts and caller signals', () => {
    /** A fetch that never answers but rejects when its signal aborts, with the signal's reason (as undici does). */
    const hanging = (sent: { signal: AbortSignal | undefined }): Promise<Response> =>
      new Promise((_resolve, reject) => {
        sent.signal?.addEventListener('abort', () => reject(sent.signal?.reason as Error));
      });

    it('ends a call with the signal made by the injected timeoutSignal, for the configured timeout', async () => {
      const asked: number[] = [];
      const controller = new AbortController();
      const { client } = clientAnswering(
        hanging,
        {},
        {
          timeoutMs: 1234,
          timeoutSignal: (ms) => {
            asked.push(ms);
            return controller.signal;
          },
        },
      );
      const call = failure(client.refresh('rt', 's'));
      controller.abort(new DOMException('simulated', 'TimeoutError'));
      const error = await call;
      expect(asked).toEqual([1234]);
      expect(error.code).toBe('timeout');
      expect(error.message).toBe('The provider did not answer within 1234 ms.');
      expect(error.mayHaveReachedProvider).toBe(true);
      expect(error.isSafeToRetry).toBe(false);
    });

    it('uses a per-call timeoutMs instead of the client default', async () => {
      const asked: number[] = [];
      const { client } = clientAnswering(
        () => json(200, { access_token: 'at' }),
        {},
        { timeoutSignal: (ms) => (asked.push(ms), AbortSignal.timeout(ms)) },
      );
      await client.refresh('rt', 's', { timeoutMs: 250 });
      await client.exchangeCode('c', 'v'.repeat(43), 's', { timeoutMs: 300 });
      await client.revokeRefreshToken('rt', 's', { timeoutMs: 350 });
      await client.refresh('rt', 's');
      expect(asked).toEqual([250, 300, 350, 1000]);
    });

    it('times out for real with the default AbortSignal.timeout', async () => {
      const { client } = clientAnswering(hanging, {}, { timeoutMs: 30 });
      const error = await failure(client.refresh('rt', 's'));
      expect(error.code).toBe('timeout');
      expect(error.message).toBe('The provider did not answer within 30 ms.');
    });

    it("reports the caller's abort during the call as a timeout (the provider may have processed it)", async () => {
      const controller = new AbortController();
      const { client } = clientAnswering(hanging);
      const call = failure(client.refresh('rt', 's', { signal: controller.signal }));
      // A reason of the caller's own: fetch rethrows it, so the kind must come from the signal, not the error.
      controller.abort(new Error('deadline of the caller'));
      const error = await call;
      expect(error.code).toBe('timeout');
      expect(error.message).toBe('The provider call was cancelled by the caller.');
      expect(error.mayHaveReachedProvider).toBe(true);
      expect(error.isTransient).toBe(true);
    });

    it('sends nothing when the caller aborted before the call', async () => {
      const { client, sent } = clientAnswering(() => json(200, { access_token: 'at' }));
      const error = await failure(client.refresh('rt', 's', { signal: AbortSignal.abort() }));
      expect(sent).toHaveLength(0);
      expect(error.code).toBe('timeout');
      expect(error.mayHaveReachedProvider).toBe(false);
    });

    it("ends at whichever comes first: the caller's signal or the call's own timeout", async () => {
      const { client } = clientAnswering(hanging, {}, { timeoutMs: 20 });
      const never = new AbortController();
      const error = await failure(client.refresh('rt', 's', { signal: never.signal }));
      expect(error.message).toBe('The provider did not answer within 20 ms.');
    });

    it('covers a body that trickles in after the headers', async () => {
      const { client } = clientAnswering(
        (sent) =>
          new Response(
            new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(new TextEncoder().encode('{"access_token":'));
                sent.signal?.addEventListener('abort', () => controller.error(sent.signal?.reason));
              },
            }),
            { status: 200 },
          ),
        {},
        { timeoutMs: 30 },
      );
      expect((await failure(client.refresh('rt', 's'))).code).toBe('timeout');
    });
  });

  describe('revocation without an endpoint', () => {
    it("sends nothing and says so when the application's revocationBody is none", async () => {
      const { client, sent } = clientAnswering(() => json(200, {}), { revocationBody: 'none' });
      const error = await failure(client.revokeRefreshToken('rt', 's'));
      expect(sent).toHaveLength(0);
      expect(error).toMatchObject({ code: 'revocation_unsupported', mayHaveReachedProvider: false });
      expect(error.isTransient).toBe(false);
      expect(error.message).toBe('The provider has no revocation endpoint; the token was not revoked there.');
    });
  });
});
