import { describe, expect, it } from 'vitest';
import { type RestartMoment, restartStep } from '../../../web/src/sdk/media/restart-timing.ts';

const at = (over: Partial<RestartMoment>): RestartMoment => ({
  now: 10_000,
  lastRestartAt: Number.NEGATIVE_INFINITY,
  offeredAt: Number.NEGATIVE_INFINITY,
  awaitingAnswer: false,
  replaceUnanswered: false,
  ...over,
});

describe('restart timing', () => {
  it('a burst of triggers within 250 ms makes one offer', () => {
    expect(restartStep(at({ lastRestartAt: 9_800 }))).toBe('skip');
    expect(restartStep(at({ lastRestartAt: 9_750 }))).toBe('negotiate');
  });

  it('an unanswered offer is left to its answer for 3 s, then replaced', () => {
    const waiting = { awaitingAnswer: true, lastRestartAt: 8_000 };
    expect(restartStep(at({ ...waiting, offeredAt: 8_000 }))).toBe('negotiate');
    expect(restartStep(at({ ...waiting, offeredAt: 7_000 }))).toBe('replace');
  });

  it('an offer known lost (the other side has a new socket) is replaced at once, even 211 ms after it went out', () => {
    const lost = { awaitingAnswer: true, replaceUnanswered: true, offeredAt: 9_789, lastRestartAt: 9_789 };
    expect(restartStep(at(lost))).toBe('replace');
  });

  it('nothing to replace without an unanswered offer: the spacing still holds', () => {
    expect(restartStep(at({ replaceUnanswered: true, lastRestartAt: 9_900 }))).toBe('skip');
    expect(restartStep(at({ replaceUnanswered: true }))).toBe('negotiate');
  });
});
