/**
 * Page-level helpers for end-to-end tests: join by deep link, read the TSDK history the app
 * exposes on `window.meetingClient`, and measure decoded video frames per remote tile.
 */
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  expect,
  type Page,
} from '@playwright/test';
import type { PeerDiagnostics } from 'resume-meeting';
import type { TsdkNotification } from '../../../shared/src/index.ts';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import type { Evaluates } from './pc-recorder.ts';

/** A resume episode in a conference, as spec §3 rule 1 orders it. */
export const RESUME_SEQUENCE = [
  'TSDK_E_CONF_EVT_CONF_RESUMING_IND',
  'TSDK_E_LOGIN_EVT_LOGIN_RESUMING_IND',
  'TSDK_E_LOGIN_EVT_AUTH_SUCCESS',
  'TSDK_E_LOGIN_EVT_LOGIN_SUCCESS',
  'TSDK_E_LOGIN_EVT_LOGIN_RESUME_RESULT',
  'TSDK_E_CONF_EVT_CONF_RESUME_RESULT',
];

/**
 * What the history helpers need of a page: a Playwright page, or a Firefox page from the
 * Firefox adapter (firefox.ts).
 */
export type { Evaluates } from './pc-recorder.ts';

export interface Participant {
  name: string;
  context: BrowserContext;
  page: Page;
}

/** Each participant gets its own browser context, so network faults apply to one person. */
export async function joinByLink(
  browser: Browser,
  baseUrl: string,
  room: string,
  name: string,
  options: {
    clock?: boolean;
    query?: string;
    beforeJoin?: (page: Page) => Promise<unknown>;
    /** E.g. `ignoreHTTPSErrors` for a server with a throwaway certificate. */
    contextOptions?: BrowserContextOptions;
  } = {},
) {
  const context = await browser.newContext(options.contextOptions);
  const page = await context.newPage();
  await options.beforeJoin?.(page);
  // Virtual time for the page (the 60 s window); it runs at real pace until fast-forwarded.
  if (options.clock) await page.clock.install();
  const query = options.query ? `&${options.query}` : '';
  await page.goto(`${baseUrl}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}${query}`);
  await expect(page.locator('#meeting')).toBeVisible();
  await expect.poll(() => ownHandle(page)).toBeGreaterThan(0);
  return { name, context, page } satisfies Participant;
}

export function history(page: Evaluates): Promise<TsdkNotification[]> {
  return page.evaluate(() => structuredClone(window.meetingClient.history) as TsdkNotification[]);
}

export function events(page: Evaluates): Promise<string[]> {
  return page.evaluate(() => window.meetingClient.history.map((n: { event: string }) => n.event));
}

/** The participant's current conference handle (0 when not in a conference). */
export function ownHandle(page: Evaluates): Promise<number> {
  return page.evaluate(() => {
    const joins = window.meetingClient.history.filter(
      (n: { event: string; param2: number }) =>
        (n.event === 'TSDK_E_CONF_EVT_JOIN_CONF_RESULT' ||
          n.event === 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT') &&
        n.param2 === 0,
    );
    return joins.at(-1)?.param1 ?? 0;
  });
}

/** Decoded frames of every remote tile, by the name on the tile. */
export function remoteFrames(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const frames: Record<string, number> = {};
    for (const video of document.querySelectorAll<HTMLVideoElement>(
      '#video-grid video[data-remote="true"]',
    )) {
      frames[video.dataset.name ?? '?'] = video.getVideoPlaybackQuality().totalVideoFrames;
    }
    return frames;
  });
}

/** Waits until the page decodes new frames from every named remote participant. */
export async function expectVideoFrom(page: Page, names: string[], timeout?: number): Promise<void> {
  await expect.poll(async () => Object.keys(await remoteFrames(page)).sort()).toEqual([...names].sort());
  const before = await remoteFrames(page);
  await expect
    .poll(
      async () => {
        const now = await remoteFrames(page);
        return names.filter((n) => (now[n] ?? 0) > (before[n] ?? 0) + 5).sort();
      },
      timeout === undefined ? {} : { timeout },
    )
    .toEqual([...names].sort());
}

export function rosterNames(page: Page): Promise<string[]> {
  return page
    .locator('#participants li[data-handle]')
    .evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.name ?? '').sort());
}

/** The SDK's per-peer diagnostics: link generation, ICE credentials, remote tracks. */
export function mediaDiagnostics(page: Evaluates): Promise<PeerDiagnostics[]> {
  return page.evaluate(() => window.meetingClient.mediaDiagnostics() as PeerDiagnostics[]);
}

/**
 * How often the decoder of one page about the other stayed stuck and rebuilt their link, in either
 * direction (starved-decoder.ts): such a pair was rebuilt on purpose.
 */
export async function stuckRebuildsBetween(x: Evaluates, y: Evaluates): Promise<number> {
  const ownId = (page: Evaluates) => page.evaluate(() => window.meetingClient.session?.userId ?? '');
  const [xId, yId, onX, onY] = await Promise.all([
    ownId(x),
    ownId(y),
    mediaDiagnostics(x),
    mediaDiagnostics(y),
  ]);
  const about = (peers: PeerDiagnostics[], userId: string) =>
    peers.find((d) => d.userId === userId)?.stuckRebuilds ?? 0;
  return about(onX, yId) + about(onY, xId);
}

/**
 * The kinds of roster change (`joined`, `left`, `replaced`, `status`, …) a page reported in its
 * INFO_AND_STATUS_UPDATE history about any of `handles`, in order.
 */
export async function changesAbout(page: Evaluates, handles: number[]): Promise<string[]> {
  return (await history(page))
    .filter((n) => n.event === 'TSDK_E_CONF_EVT_INFO_AND_STATUS_UPDATE')
    .map(
      (n) =>
        n.data as {
          change: string;
          event?: { handle?: number; oldHandle?: number; participant?: { handle: number } };
        },
    )
    .filter(({ event }) =>
      [event?.handle, event?.oldHandle, event?.participant?.handle].some(
        (h) => h !== undefined && handles.includes(h),
      ),
    )
    .map(({ change }) => change);
}

/** Chat texts the page's client holds, in order. */
export function chatTexts(page: Evaluates): Promise<string[]> {
  return page.evaluate(() => window.meetingClient.messages.map((m: { text: string }) => m.text));
}

const CONF_RESUME_RESULT = 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT';
const RESUME_EVENTS = new Set(RESUME_SEQUENCE);

/** The resume-related records (spec §3 rule 1's six) after index `before` of the page's history. */
export async function resumeRecords(page: Evaluates, before: number): Promise<TsdkNotification[]> {
  return (await history(page)).slice(before).filter((n) => RESUME_EVENTS.has(n.event));
}

/**
 * Waits for the page's CONF_RESUME_RESULT after `before`, then checks spec §3 rule 1: the six
 * records in that order, each once, CONF_RESUMING_IND with h0, LOGIN_RESUME_RESULT success, and
 * CONF_RESUME_RESULT with a new handle h1 ≠ h0 whose `original_handle` is h0. Returns h1 and the records.
 */
export async function expectResumeEpisode(
  page: Evaluates,
  before: number,
  h0: number,
  timeout = 30_000,
): Promise<{ h1: number; records: TsdkNotification[] }> {
  await expect
    .poll(async () => (await resumeRecords(page, before)).some((n) => n.event === CONF_RESUME_RESULT), {
      message: `${CONF_RESUME_RESULT} within ${timeout} ms`,
      timeout,
    })
    .toBe(true);
  const records = await resumeRecords(page, before);
  expect(
    records.map((n) => n.event),
    'one episode, spec §3 rule 1',
  ).toEqual(RESUME_SEQUENCE);
  expect(records[0]).toMatchObject({ param1: h0, param2: 0 });
  expect(records[4]).toMatchObject({ param1: 0, param2: ResultCode.TSDK_SUCCESS });
  const result = records[5];
  expect(result).toMatchObject({ param2: ResultCode.TSDK_SUCCESS, data: { original_handle: h0 } });
  const h1 = result?.param1 ?? 0;
  expect(h1).not.toBe(h0);
  expect(h1).toBeGreaterThan(0);
  expect(await ownHandle(page)).toBe(h1);
  return { h1, records };
}

/** Frames decoded from `from` on `page` over ~`ms` (robust to a replaced tile, whose count restarts). */
export async function framesOver(page: Page, from: string, ms = 1_000): Promise<number> {
  const first = (await remoteFrames(page))[from] ?? 0;
  await page.waitForTimeout(ms);
  const second = (await remoteFrames(page))[from] ?? 0;
  return second >= first ? second - first : second;
}

/** Video from `from` decodes on `page`: more than 5 frames in a second, within `timeout`. */
export async function expectFramesFlowing(page: Page, from: string, timeout = 30_000): Promise<void> {
  await expect
    .poll(() => framesOver(page, from), { message: `video from ${from} decodes on this page`, timeout })
    .toBeGreaterThan(5);
}
