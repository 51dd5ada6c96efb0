import { afterEach, describe, expect, it, vi } from 'vitest';
import { STATS_TIMEOUT_MS, statsOf } from '../../../web/src/sdk/media/bounded-stats.ts';

afterEach(() => {
  vi.useRealTimers();
});

const report = new Map() as unknown as RTCStatsReport;

describe('statsOf', () => {
  it('answers with the report when getStats does', async () => {
    await expect(statsOf({ getStats: async () => report })).resolves.toBe(report);
  });

  it("gives up on a getStats that never answers (Firefox's, on a connection being torn down)", async () => {
    vi.useFakeTimers();
    const pending = statsOf({ getStats: () => new Promise<RTCStatsReport>(() => {}) });
    const outcome = pending.then(
      () => 'answered',
      (err: Error) => err.message,
    );
    await vi.advanceTimersByTimeAsync(STATS_TIMEOUT_MS - 1);
    let settled = false;
    void outcome.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe(`getStats gave no answer in ${STATS_TIMEOUT_MS} ms`);
  });

  it('passes a getStats failure on', async () => {
    await expect(statsOf({ getStats: async () => Promise.reject(new Error('closed')) })).rejects.toThrow(
      'closed',
    );
  });
});
