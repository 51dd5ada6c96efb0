/** bench:abuse's chat latency figures: per phase, both directions pooled, and their percentiles. */
import type { Honest } from './abuse-clients.ts';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function latencyList(
  sentAt: Map<string, number>,
  received: Map<string, number>,
  skip: Set<string>,
): number[] {
  return [...sentAt]
    .filter(([id]) => !skip.has(id))
    .map(([id, t]) => (received.get(id) ?? Number.NaN) - t)
    .filter((x) => Number.isFinite(x));
}

/** Chat latencies of one phase, both directions pooled, with what was sent and lost. */
export interface Phase {
  ms: number[];
  sent: number;
  lost: number;
}

/** Both directions of one phase: `skip` are ids not timed (written while Bob was away, replayed). */
export function phase(
  ann: Honest,
  bob: Honest,
  fromAnn: Map<string, number>,
  fromBob: Map<string, number>,
  skip = new Set<string>(),
): Phase {
  const ms = [...latencyList(fromAnn, bob.received, skip), ...latencyList(fromBob, ann.received, skip)];
  const lost =
    [...fromAnn.keys()].filter((id) => !bob.received.has(id)).length +
    [...fromBob.keys()].filter((id) => !ann.received.has(id)).length;
  return { ms, sent: fromAnn.size + fromBob.size, lost };
}

export function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: +percentile(sorted, 50).toFixed(1),
    p95: +percentile(sorted, 95).toFixed(1),
    p99: +percentile(sorted, 99).toFixed(1),
    max: +(sorted.at(-1) ?? Number.NaN).toFixed(1),
  };
}
