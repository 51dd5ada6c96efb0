import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullJitterPolicy } from '../../../web/src/sdk/resume/retry-policy.ts';

const ctx = (retryCount: number, elapsedMs = 0) => ({ retryCount, elapsedMs, reason: 'SERVER_UNAVAILABLE' });

describe('fullJitterPolicy', () => {
  it('first retry is immediate, whatever the random source says', () => {
    expect(fullJitterPolicy({ random: () => 0.99 }).nextDelayMs(ctx(0))).toBe(0);
  });

  it('random() * min(cap, base * 2^(n-1)): exponential, then capped, jitter after the cap', () => {
    const policy = fullJitterPolicy({ baseMs: 250, capMs: 5000, random: () => 0.5 });
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => policy.nextDelayMs(ctx(n)))).toEqual([
      125, 250, 500, 1000, 2000, 2500, 2500, 2500,
    ]);
    // Jitter after the cap: a large retryCount is spread over [0, cap], not pinned at the cap.
    expect(fullJitterPolicy({ capMs: 5000, random: () => 0.1 }).nextDelayMs(ctx(30))).toBe(500);
  });

  it('0 ≤ delay ≤ min(cap, base·2^(n-1)) for any random value and retry count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 20_000 }),
        (n, r, baseMs, capMs) => {
          const delay = fullJitterPolicy({
            baseMs,
            capMs,
            windowMs: Number.MAX_SAFE_INTEGER,
            random: () => r,
          }).nextDelayMs(ctx(n));
          expect(delay).not.toBeNull();
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(capMs, baseMs * 2 ** (n - 1)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('null once the window is spent', () => {
    const policy = fullJitterPolicy({ windowMs: 60_000, random: () => 0.5 });
    expect(policy.nextDelayMs(ctx(0, 59_999))).toBe(0);
    expect(policy.nextDelayMs(ctx(0, 60_000))).toBeNull();
    expect(policy.nextDelayMs(ctx(3, 59_499))).toBe(500);
    expect(policy.nextDelayMs(ctx(3, 59_500))).toBeNull();
  });

  it('defaults: 250 ms base, 5 s cap, 60 s window', () => {
    const policy = fullJitterPolicy({ random: () => 0.999_999 });
    expect(policy.nextDelayMs(ctx(1))).toBe(249);
    expect(policy.nextDelayMs(ctx(10))).toBe(4999);
    expect(policy.nextDelayMs(ctx(1, 59_800))).toBeNull();
  });
});
