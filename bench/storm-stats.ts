/**
 * Percentiles for the storm bench. Participants that never resumed count as +Infinity, so a
 * p99 is only finite when at least 99 % of all N resumed: a percentile of the survivors alone
 * would look good exactly when things go badly.
 */

/** Nearest-rank percentile (p in (0, 100]) of ascending `sorted`; null if empty or not reached. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  const value = sorted[rank - 1] ?? Number.POSITIVE_INFINITY;
  return Number.isFinite(value) ? value : null;
}

/** Ascending latencies of all participants; those without a result are +Infinity. */
export function latencies(doneAt: Iterable<number>, since: number): number[] {
  const out: number[] = [];
  for (const at of doneAt) out.push(Number.isNaN(at) ? Number.POSITIVE_INFINITY : Math.max(0, at - since));
  return out.sort((a, b) => a - b);
}

/**
 * The empirical CDF as at most `points` (latency ms, fraction of all N done) steps, for a chart.
 * Keeps the first and the last finite point so the curve's ends are exact.
 */
export function cdf(sorted: readonly number[], points = 160): [number, number][] {
  const n = sorted.length;
  const finite = sorted.filter(Number.isFinite);
  if (finite.length === 0) return [];
  const step = Math.max(1, Math.floor(finite.length / points));
  const out: [number, number][] = [];
  for (let i = 0; i < finite.length; i += step) out.push([finite[i] ?? 0, (i + 1) / n]);
  const last = finite.length - 1;
  if (out.at(-1)?.[1] !== (last + 1) / n) out.push([finite[last] ?? 0, (last + 1) / n]);
  return out;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
