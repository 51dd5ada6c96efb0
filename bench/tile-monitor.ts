/**
 * In-page probe for benchmarks: records, with Date.now(), every change of the remote tile's
 * `data-status` (`figure.tile:not(.local)`), as tests/e2e/media-outage.spec.ts does, with a
 * MutationObserver on the video grid. Meant for a call of two (one remote tile).
 */
import type { Page } from '@playwright/test';

export async function installTileMonitor(page: Page): Promise<void> {
  // No named helpers inside the evaluated function: tsx's keepNames would inject `__name`.
  await page.evaluate(() => {
    const w = window as unknown as { __tileLog?: [number, string][] };
    if (w.__tileLog) return;
    const log: [number, string][] = [];
    w.__tileLog = log;
    const grid = document.querySelector('#video-grid');
    if (!grid) throw new Error('no video grid');
    const first = grid.querySelector<HTMLElement>('figure.tile:not(.local)')?.dataset.status ?? 'none';
    log.push([Date.now(), first]);
    new MutationObserver(() => {
      const status = grid.querySelector<HTMLElement>('figure.tile:not(.local)')?.dataset.status ?? 'none';
      if (log.at(-1)?.[1] !== status) log.push([Date.now(), status]);
    }).observe(grid, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

/** The first time at or after `since` when the remote tile's status became `status`. */
export async function tileStatusAt(page: Page, status: string, since: number): Promise<number | null> {
  return page.evaluate(
    ({ status, since }) => {
      const log = (window as unknown as { __tileLog?: [number, string][] }).__tileLog ?? [];
      return log.find(([at, s]) => at >= since && s === status)?.[0] ?? null;
    },
    { status, since },
  );
}
