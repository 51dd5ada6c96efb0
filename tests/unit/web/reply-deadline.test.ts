import { describe, expect, it } from 'vitest';
import { ReplyDeadline } from '../../../web/src/sdk/signal/reply-deadline.ts';

const deadline = () => new ReplyDeadline({ floorMs: 300, ceilingMs: 2_000 });

describe('ReplyDeadline', () => {
  it('is the floor before any reply, and about the floor on a fast path', () => {
    const d = deadline();
    expect(d.ms).toBe(300);
    for (let i = 0; i < 20; i++) d.sample(4 + (i % 3));
    expect(d.ms).toBeGreaterThanOrEqual(304);
    expect(d.ms).toBeLessThanOrEqual(306);
  });

  it('follows a slow path: SRTT + max(floor, 4·RTTVAR) (RFC 6298)', () => {
    const d = deadline();
    d.sample(600); // SRTT 600, RTTVAR 300
    expect(d.ms).toBe(1_800);
    d.sample(600); // RTTVAR 0.75·300 + 0.25·0 = 225; SRTT 600
    expect(d.ms).toBe(1_500);
    for (let i = 0; i < 40; i++) d.sample(600);
    // The variance decays: a steady 600 ms path gets its round trip plus the floor.
    expect(d.ms).toBe(900);
  });

  it('widens when replies start to come late, within the ceiling', () => {
    const d = deadline();
    for (let i = 0; i < 10; i++) d.sample(20);
    expect(d.ms).toBeLessThan(330);
    d.sample(400);
    // SRTT 67.5, RTTVAR ≈ 95: one late reply already lifts it well over the floor.
    expect(d.ms).toBeGreaterThan(400);
    for (let i = 0; i < 5; i++) d.sample(5_000);
    expect(d.ms).toBe(2_000);
  });

  it('starts again from the floor on a new socket, and ignores nonsense samples', () => {
    const d = deadline();
    d.sample(900);
    expect(d.ms).toBeGreaterThan(300);
    d.reset();
    expect(d.ms).toBe(300);
    d.sample(Number.NaN);
    d.sample(-5);
    d.sample(Number.POSITIVE_INFINITY);
    expect(d.ms).toBe(300);
  });
});
