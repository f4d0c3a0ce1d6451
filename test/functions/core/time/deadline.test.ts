/** The invocation's time budget alone (packages/cdk/functions/core/time/deadline.ts), on a virtual clock. */
import { ANSWER_RESERVE_MS, Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { ManualClock } from '../../../support/clock';

describe('Deadline', () => {
  it("keeps the answer's reserve back from Lambda's remaining time", () => {
    const clock = new ManualClock();
    const deadline = Deadline.fromRemaining(10_000, clock);
    expect(deadline.at).toBe(clock.now() + 10_000 - ANSWER_RESERVE_MS);
    expect(deadline.remaining()).toBe(10_000 - ANSWER_RESERVE_MS);
    expect(Deadline.fromRemaining(10_000, clock, 0).remaining()).toBe(10_000);
    // Less left than the reserve: no time at all, never negative.
    expect(Deadline.fromRemaining(ANSWER_RESERVE_MS - 1, clock).remaining()).toBe(0);
  });

  it('counts down with the clock and never goes below zero', () => {
    const clock = new ManualClock();
    const deadline = Deadline.at(clock.now() + 1_000, clock);
    clock.advance(400);
    expect(deadline.remaining()).toBe(600);
    clock.advance(5_000);
    expect(deadline.remaining()).toBe(0);
  });

  it('allows work only while it still fits', () => {
    const clock = new ManualClock();
    const deadline = Deadline.at(clock.now() + 1_000, clock);
    expect(deadline.allows(1_000)).toBe(true);
    expect(deadline.allows(1_001)).toBe(false);
    clock.advance(1);
    expect(deadline.allows(1_000)).toBe(false);
  });

  it('within: the earlier of itself and a cap from now', () => {
    const clock = new ManualClock();
    const deadline = Deadline.at(clock.now() + 1_000, clock);
    expect(deadline.within(300).remaining()).toBe(300);
    expect(deadline.within(5_000).at).toBe(deadline.at);
    expect(deadline.within(-5).remaining()).toBe(0);
  });

  it('its signal aborts at the deadline, or at the cap when that comes first', () => {
    const clock = new ManualClock();
    const deadline = Deadline.at(clock.now() + 1_000, clock);
    const atDeadline = deadline.signal();
    const capped = deadline.signal(200);
    clock.advance(199);
    expect(capped.aborted).toBe(false);
    clock.advance(1);
    expect(capped.aborted).toBe(true);
    expect((capped.reason as Error).name).toBe('TimeoutError');
    clock.advance(799);
    expect(atDeadline.aborted).toBe(false);
    clock.advance(1);
    expect(atDeadline.aborted).toBe(true);
  });

  it('a spent deadline hands out an already aborted signal', () => {
    const clock = new ManualClock();
    const deadline = Deadline.at(clock.now(), clock);
    expect(deadline.signal().aborted).toBe(true);
  });
});
