/**
 * The refresh work queue's messages alone (packages/cdk/functions/core/refresh/work-queue.ts): a due item becomes a
 * refresh or a revocation message, the wire form round-trips, and a body that is not a message is never guessed.
 */
import { RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import {
  decodeWorkMessage,
  encodeWorkMessage,
  workKey,
  workMessage,
  type WorkMessage,
} from '@token-vault/cdk/functions/core/refresh/work-queue';

const PENDING = `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}app#3`;
const refresh: WorkMessage = { kind: 'refresh', userId: 'u1', applicationId: 'app', dueAt: 1_000 };
const revocation: WorkMessage = { kind: 'revocation', userId: 'u1', itemKey: PENDING, dueAt: 2_000 };

describe('work messages', () => {
  it('a due connection is a refresh, a due pending revocation a revocation', () => {
    expect(workMessage({ userId: 'u1', applicationId: 'app', dueAt: 1_000 })).toEqual(refresh);
    expect(workMessage({ userId: 'u1', applicationId: PENDING, dueAt: 2_000 })).toEqual(revocation);
  });

  it('round-trips through the short, versioned wire form', () => {
    expect(JSON.parse(encodeWorkMessage(refresh))).toEqual({ v: 1, k: 'r', u: 'u1', a: 'app', d: 1_000 });
    for (const message of [refresh, revocation]) expect(decodeWorkMessage(encodeWorkMessage(message))).toEqual(message);
  });

  it('refuses a body that is not exactly a message', () => {
    const body = (value: unknown) => decodeWorkMessage(JSON.stringify(value));
    expect(decodeWorkMessage('not json')).toBeUndefined();
    expect(body(null)).toBeUndefined();
    expect(body({ v: 2, k: 'r', u: 'u1', a: 'app', d: 1 })).toBeUndefined();
    expect(body({ v: 1, k: 'r', u: '', a: 'app', d: 1 })).toBeUndefined();
    expect(body({ v: 1, k: 'r', u: 'u1', a: 'app', d: '1' })).toBeUndefined();
    expect(body({ v: 1, k: 'r', u: 'x'.repeat(1025), a: 'app', d: 1 })).toBeUndefined();
    expect(body({ v: 1, k: 'x', u: 'u1', a: 'app', d: 1 })).toBeUndefined();
    // The kind must match the key: a refresh of a pending item, or a revocation of a connection, is not a message.
    expect(body({ v: 1, k: 'r', u: 'u1', a: PENDING, d: 1 })).toBeUndefined();
    expect(body({ v: 1, k: 'v', u: 'u1', i: 'app', d: 1 })).toBeUndefined();
  });

  it('keys a message by its item', () => {
    expect(workKey(refresh)).toBe('u1\u0000app');
    expect(workKey(revocation)).toBe(`u1\u0000${PENDING}`);
    expect(workKey({ ...refresh, dueAt: 5 })).toBe(workKey(refresh));
  });
});
