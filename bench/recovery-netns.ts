/** Network-namespace scenarios of bench:recovery (filled in with the netns lab). */
import type { Mode, Sample } from './recovery.ts';

export const NETNS_SCENARIOS: string[] = [];

export async function runNetnsScenario(_scenario: string, _mode: Mode, _runs: number): Promise<Sample[]> {
  return [];
}
