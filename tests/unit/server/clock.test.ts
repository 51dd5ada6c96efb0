import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { KeyedTimers } from '../../../signaling-server/src/timers.ts';

describe('ManualClock', () => {
  it('fires due timers in (due, creation) order and moves now() to each', () => {
    const clock = new ManualClock(1_000);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 20);
    const cancel = clock.setTimeout(() => fired.push(['x', clock.now()]), 5);
    cancel();
    clock.advance(19);
    expect(fired).toEqual([['a', 1_010]]);
    expect(clock.now()).toBe(1_019);
    clock.advance(1);
    expect(fired).toEqual([
      ['a', 1_010],
      ['b', 1_020],
      ['c', 1_020],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('fires timers scheduled by a timer within the same advance', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 5), 5);
    clock.advance(10);
    expect(fired).toEqual([10]);
  });
});

describe('KeyedTimers', () => {
  it('keeps the first deadline for a key, cancels, and forgets a fired key', () => {
    const clock = new ManualClock(0);
    const timers = new KeyedTimers(clock);
    const fired: string[] = [];
    expect(timers.schedule('k', 100, () => fired.push('first'))).toBe(true);
    clock.advance(50);
    expect(timers.schedule('k', 100, () => fired.push('second'))).toBe(false);
    clock.advance(50);
    expect(fired).toEqual(['first']);
    expect(timers.has('k')).toBe(false);
    timers.schedule('k', 10, () => fired.push('cancelled'));
    timers.cancel('k');
    clock.advance(100);
    expect(fired).toEqual(['first']);
  });
});
