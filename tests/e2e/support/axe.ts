import axe from 'axe-core';
import type { FirefoxPage } from './firefox.ts';

/** One axe-core violation, reduced to what a report line needs. */
export interface AxeFinding {
  id: string;
  impact?: string | null;
  targets: string[];
}

/** `rule (impact): targets` lines: serious and critical (the test fails on them), and the rest. */
export function bySeverity(violations: readonly AxeFinding[]): { serious: string[]; lesser: string[] } {
  const lines = (keep: (impact: string | null | undefined) => boolean) =>
    violations.filter((v) => keep(v.impact)).map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
  const grave = (impact: string | null | undefined) => impact === 'serious' || impact === 'critical';
  return { serious: lines(grave), lesser: lines((i) => !grave(i)) };
}

/**
 * axe-core in a Firefox page (@axe-core/playwright drives Chromium only). The source goes in
 * through WebDriver BiDi's script evaluation, which the page's CSP (`script-src 'self'`, no
 * eval) does not govern, as a devtools console would.
 */
export async function firefoxAxe(page: FirefoxPage): Promise<{ violations: AxeFinding[]; passes: number }> {
  await page.raw.evaluate(`${axe.source};0`);
  return page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof import('axe-core') }).axe.run;
    const result = await run(document, { resultTypes: ['violations'] });
    return {
      violations: result.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        targets: v.nodes.map((n) => n.target.join(' ')),
      })),
      passes: result.passes.length,
    };
  });
}
