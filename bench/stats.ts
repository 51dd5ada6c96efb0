export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { n: sorted.length, median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** A ratio for a table: under 1 (the other system faster) with two significant digits, not `0.0×`. */
export const ratioText = (ratio: number) => `${ratio < 1 ? ratio.toPrecision(2) : ratio.toFixed(1)}×`;
