import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS, fuzzInput } from './fuzz-generators.ts';
import { FuzzHarness, fuzz } from './fuzz-harness.ts';

/**
 * Property-based fuzzing of every client→server event, in-process against the real gate,
 * handlers and store (see fuzz-harness.ts for the oracle). 100 000 inputs in CI; `npm run
 * bench:fuzz` runs 1 000 000. Through real sockets: tests/integration/fuzz-sockets.test.ts.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap growth allowed from the warm-up to the end of the run, after GC. */
const HEAP_BOUND_BYTES = 16 * 1024 * 1024;

describe('fuzzing every inbound event (in-process)', () => {
  it('100 000 generated inputs: 0 crashes, 0 state changes, every refusal INVALID_PARAM, heap bounded', async () => {
    const start = heapUsed();
    // Measured after a warm-up batch: the generators' prebuilt values (1 MB strings, 100 000-deep
    // nesting) are allocated once; what must not grow is the heap per input.
    let before = start;
    const { stats, seconds } = await fuzz(100_000, {
      seed: 20_260_101,
      onBatch: (done) => {
        if (done === 5_000) before = heapUsed();
      },
    });
    const after = heapUsed();
    const figures = {
      ...stats,
      failures: stats.failures.slice(0, 3),
      heapStartMB: +(start / 2 ** 20).toFixed(1),
      heapAfterWarmupMB: +(before / 2 ** 20).toFixed(1),
      heapEndMB: +(after / 2 ** 20).toFixed(1),
      inputsPerSecond: Math.round(stats.inputs / seconds),
    };
    console.log(`fuzz (in-process): ${JSON.stringify(figures)}`);
    expect(stats.failures).toEqual([]);
    expect(stats.inputs).toBe(100_000);
    expect(stats.crashes).toBe(0);
    expect(stats.stateChanges).toBe(0);
    expect(stats.wrongReplies).toBe(0);
    expect(stats.errorLogs).toBe(0);
    // Mostly refusals, and every event got its share.
    expect(stats.refused).toBeGreaterThan(90_000);
    for (const event of EVENTS) expect(stats.byEvent[event]).toBeGreaterThan(8_000);
    // Bad input is logged once per socket and kind (4 kinds, 4 sockets per world), not per packet.
    expect(stats.badInputLogLines).toBeLessThanOrEqual((stats.rebuilds + 1) * 4 * 4);
    expect(after - before).toBeLessThan(HEAP_BOUND_BYTES);
    // No prototype was polluted by `__proto__` / `constructor.prototype` payloads.
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it('fc.assert with shrinking on a fresh seed (5 000 runs)', async () => {
    const harness = await FuzzHarness.create();
    const arb = fuzzInput(
      { ...harness.handles, token: harness.token },
      { wire: false, maxHuge: 100_000, maxDepth: 10_000 },
    );
    await fc.assert(
      fc.asyncProperty(arb, (input) => harness.run(input)),
      { numRuns: 5_000 },
    );
    expect(harness.stats.crashes + harness.stats.stateChanges + harness.stats.wrongReplies).toBe(0);
  }, 60_000);
});
