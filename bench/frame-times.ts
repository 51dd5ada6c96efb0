/**
 * Frame-level probe for bench:peers: every frame presented in a remote tile, timed by
 * `requestVideoFrameCallback` (its presentation time, on the epoch clock the lab's changes use),
 * per participant name. No polling window: a gap is measured to the frame.
 */
import type { Page } from '@playwright/test';
import { poll } from './recovery-netns.ts';

/** Longer than this between two frames is a gap (the fake camera presents one every 33–50 ms). */
export const GAP_MS = 150;
/** Frames count as back when they then keep coming without a gap for this long. */
export const STEADY_MS = 1_000;

// A string, not a function: tsx's keepNames would put `__name` calls into a serialized function.
const PROBE = `(() => {
  if (window.__frameTimes) return;
  const times = (window.__frameTimes = {});
  const seen = new WeakSet();
  const watch = (video) => {
    const onFrame = (_now, meta) => {
      const name = video.dataset.name ?? '?';
      const list = (times[name] ??= []);
      list.push(performance.timeOrigin + meta.presentationTime);
      if (list.length > 6000) list.splice(0, 3000);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  setInterval(() => {
    for (const video of document.querySelectorAll('#video-grid video[data-remote="true"]')) {
      if (!seen.has(video)) {
        seen.add(video);
        watch(video);
      }
    }
  }, 50);
})()`;

export async function installFrameTimes(page: Page): Promise<void> {
  await page.evaluate(PROBE);
}

/**
 * The first frame at or after `since` from which frames kept coming without a gap for
 * {@link STEADY_MS}: frames still in flight when a path broke are followed by a gap, so they do
 * not count; a switch with no gap at all gives the first frame after `since`. Null when there
 * was none within `timeoutMs`.
 */
export function steadyFrameAt(
  page: Page,
  name: string,
  since: number,
  timeoutMs: number,
): Promise<number | null> {
  return poll(
    () =>
      page.evaluate(
        ({ name, since, gap, steady }) => {
          const all = (window as unknown as { __frameTimes?: Record<string, number[]> }).__frameTimes?.[name];
          const list = (all ?? []).filter((t) => t >= since);
          for (let i = 0; i < list.length; i++) {
            const start = list[i] as number;
            let k = i;
            while (k + 1 < list.length && (list[k + 1] as number) - (list[k] as number) <= gap) k++;
            if ((list[k] as number) - start >= steady) return start;
            i = k;
          }
          return null;
        },
        { name, since, gap: GAP_MS, steady: STEADY_MS },
      ),
    timeoutMs,
  );
}

/** The gaps over {@link GAP_MS} between `from` and `to` (start, length), for the trace of a run. */
export function gapsBetween(page: Page, name: string, from: number, to: number): Promise<string[]> {
  return page.evaluate(
    ({ name, from, to, gap }) => {
      const list =
        (window as unknown as { __frameTimes?: Record<string, number[]> }).__frameTimes?.[name] ?? [];
      const out: string[] = [];
      for (let i = 1; i < list.length; i++) {
        const [a, b] = [list[i - 1] as number, list[i] as number];
        if (b >= from && a <= to && b - a > gap)
          out.push(`+${Math.round(a - from)} for ${Math.round(b - a)} ms`);
      }
      return out;
    },
    { name, from, to, gap: GAP_MS },
  );
}
