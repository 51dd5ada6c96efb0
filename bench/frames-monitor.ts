/**
 * In-page probe for benchmarks: samples every remote tile's decoded-frame counter every 20 ms
 * and keeps, per participant name, the times its counter moved. Installed with page.evaluate.
 */
import type { Page } from '@playwright/test';

export async function installFrameMonitor(page: Page): Promise<void> {
  // No named helpers inside the evaluated function: tsx's keepNames would inject `__name`.
  await page.evaluate(() => {
    const w = window as unknown as { __frames?: Record<string, number[]>; __last?: Record<string, number> };
    if (w.__frames) return;
    w.__frames = {};
    w.__last = {};
    setInterval(() => {
      for (const video of document.querySelectorAll<HTMLVideoElement>(
        '#video-grid video[data-remote="true"]',
      )) {
        const name = video.dataset.name ?? '?';
        const frames = video.getVideoPlaybackQuality().totalVideoFrames;
        const frameLog = w.__frames as Record<string, number[]>;
        const last = w.__last as Record<string, number>;
        if (frames !== last[name]) {
          last[name] = frames;
          const list = frameLog[name] ?? [];
          list.push(Date.now());
          if (list.length > 2000) list.splice(0, 1000);
          frameLog[name] = list;
        }
      }
    }, 20);
  });
}

/** The first time at or after `since` when `name`'s frames moved (null if they never did). */
export async function framesBackAt(page: Page, name: string, since: number): Promise<number | null> {
  return page.evaluate(
    ({ name, since }) => {
      const list = (window as unknown as { __frames?: Record<string, number[]> }).__frames?.[name] ?? [];
      return list.find((t) => t >= since) ?? null;
    },
    { name, since },
  );
}
