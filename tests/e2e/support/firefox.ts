/**
 * Firefox participants in end-to-end tests: the one place that knows Firefox.
 *
 * Playwright's own Firefox build cannot be downloaded here, and stock Firefox does not speak
 * Playwright's protocol; it speaks WebDriver BiDi, which `puppeteer-core` drives. So Playwright
 * runs Chromium as everywhere else, and a test adds Firefox participants through this adapter:
 * Debian's `firefox-esr` (or `FIREFOX_PATH`), headless, one user context per participant.
 *
 * What differs from Chromium, and lives here only (environment.md, and measured):
 * - fake camera and microphone are preferences, not flags ({@link FIREFOX_PREFS}), and so are
 *   plain-IP host candidates; Firefox has no loopback ICE at all;
 * - headless Firefox reports `getVideoPlaybackQuality().totalVideoFrames` 0 while the video
 *   plays, so decoded frames are counted with `requestVideoFrameCallback` (`presentedFrames`)
 *   per tile ({@link firefoxRemoteFrames});
 * - no `navigator.connection`: the SDK's network watch runs on `online`/`offline` alone;
 * - the page is a puppeteer page: {@link FirefoxPage} exposes the few operations tests need,
 *   with the `evaluate` shape the meeting helpers (meeting.ts) take.
 */
import { existsSync } from 'node:fs';
import { expect } from '@playwright/test';
import puppeteer, {
  type Browser as PuppeteerBrowser,
  type BrowserContext as PuppeteerContext,
  type Page as PuppeteerPage,
} from 'puppeteer-core';
import { test as serverTest } from './fixtures.ts';
import { ownHandle } from './meeting.ts';
import { installPeerConnectionRecorder } from './pc-recorder.ts';

/** Debian's Firefox ESR; `FIREFOX_PATH` overrides it. */
export function firefoxPath(): string {
  const path = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
  if (!existsSync(path)) {
    throw new Error(`Firefox not found at ${path}: run scripts/install-test-deps.sh or set FIREFOX_PATH`);
  }
  return path;
}

/**
 * Preferences for a headless Firefox in a meeting test, the counterpart of CHROMIUM_ARGS.
 * Measured with Firefox 153 ESR.
 */
export const FIREFOX_PREFS: Readonly<Record<string, unknown>> = {
  // A fake camera and microphone, granted without a prompt (Chromium: --use-fake-*).
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Plain IP host candidates. Without it Firefox 153 offers only `<uuid>.local` names even with
  // the camera granted by the pref above; a loopback room still connected (Chromium learned
  // Firefox's address from its checks, a peer-reflexive pair), but a name does not resolve across
  // routed subnets (a namespace lab). With it: host 192.0.2.2 ↔ host 192.0.2.2 here.
  // No loopback pref: Firefox never gathered 127.0.0.1, with `media.peerconnection.ice.loopback`
  // true or not (and `default_address_only` false); on a host whose only interface is `lo` it
  // gathered no candidate at all, so Firefox tests need a real interface (eth0, or a veth).
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Remote <audio> starts without a user gesture (Chromium: --autoplay-policy=…).
  'media.autoplay.default': 0,
};

/** A Firefox page, reduced to what tests do with it. */
export interface FirefoxPage {
  readonly raw: PuppeteerPage;
  /** Console errors and uncaught exceptions seen so far. */
  readonly errors: readonly string[];
  /** Runs `fn` in the page (no arguments: close over nothing, as with Playwright). */
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  goto(url: string): Promise<void>;
  /** The text of the first element matching `selector` ('' when none). */
  text(selector: string): Promise<string>;
  /** Whether `selector` matches an element that is rendered (not `hidden`, has a box). */
  isVisible(selector: string): Promise<boolean>;
  /** Types into an input and submits with a click on `button`. */
  fillAndClick(input: string, text: string, button: string): Promise<void>;
  screenshot(path: string): Promise<void>;
  /** Closes the tab as a user would: `pagehide` runs. */
  close(): Promise<void>;
}

export interface FirefoxParticipant {
  name: string;
  page: FirefoxPage;
  context: PuppeteerContext;
}

function wrap(page: PuppeteerPage): FirefoxPage {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  return {
    raw: page,
    errors,
    // puppeteer serializes the function's source; an arrow without arguments behaves the same.
    evaluate: <R>(fn: () => R | Promise<R>) => page.evaluate(fn) as Promise<R>,
    goto: async (url) => {
      await page.goto(url);
    },
    text: (selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector),
    isVisible: (selector) =>
      page.evaluate((s) => {
        const e = document.querySelector<HTMLElement>(s);
        return !!e && !e.closest('[hidden]') && e.getClientRects().length > 0;
      }, selector),
    fillAndClick: async (input, text, button) => {
      await page.locator(input).fill(text);
      await page.locator(button).click();
    },
    screenshot: async (path) => {
      await page.screenshot({ path: path as `${string}.png` });
    },
    close: () => page.close({ runBeforeUnload: true }),
  };
}

/** Firefox ESR, headless, over WebDriver BiDi, with {@link FIREFOX_PREFS}. */
export function launchFirefox(extraPrefs: Record<string, unknown> = {}): Promise<PuppeteerBrowser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    // Playwright's default page size, so screenshots of both browsers compare.
    defaultViewport: { width: 1280, height: 720 },
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...extraPrefs },
  });
}

/**
 * A Firefox participant in its own user context (cookies, storage and permissions apart, like
 * a Playwright context) joins by deep link, then waits until it is in the conference.
 */
export async function joinFirefoxByLink(
  browser: PuppeteerBrowser,
  baseUrl: string,
  room: string,
  name: string,
  options: {
    beforeJoin?: (page: FirefoxPage) => Promise<unknown>;
    /** More of the deep link's query, e.g. `recovery=naive` (as joinByLink's `query`). */
    query?: string;
  } = {},
): Promise<FirefoxParticipant> {
  const context = await browser.createBrowserContext();
  const page = wrap(await context.newPage());
  await options.beforeJoin?.(page);
  const query = options.query ? `&${options.query}` : '';
  await page.goto(`${baseUrl}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}${query}`);
  await expect.poll(() => page.isVisible('#meeting'), { message: `${name} sees the meeting` }).toBe(true);
  await expect.poll(() => ownHandle(page)).toBeGreaterThan(0);
  return { name, page, context };
}

/**
 * Frames presented by every remote tile, by the name on the tile, counted with
 * `requestVideoFrameCallback` (headless Firefox's `totalVideoFrames` stays 0). The first read
 * of a tile starts its count (0); a replaced tile is a new element and starts again.
 */
export function firefoxRemoteFrames(page: FirefoxPage): Promise<Record<string, number>> {
  return page.evaluate(() => {
    type Counted = HTMLVideoElement & { __presented?: number };
    const frames: Record<string, number> = {};
    for (const video of document.querySelectorAll<Counted>('#video-grid video[data-remote="true"]')) {
      if (video.__presented === undefined) {
        video.__presented = 0;
        const onFrame: VideoFrameRequestCallback = (_now, meta) => {
          video.__presented = meta.presentedFrames;
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      }
      frames[video.dataset.name ?? '?'] = video.__presented;
    }
    return frames;
  });
}

/** Frames presented from `from` on a Firefox page over ~`ms` (a replaced tile restarts at 0). */
export async function firefoxFramesOver(page: FirefoxPage, from: string, ms = 1_000): Promise<number> {
  const first = (await firefoxRemoteFrames(page))[from] ?? 0;
  await new Promise((r) => setTimeout(r, ms));
  const second = (await firefoxRemoteFrames(page))[from] ?? 0;
  return second >= first ? second - first : second;
}

/** Video from `from` plays on the Firefox page: more than 5 frames in a second, within `timeout`. */
export async function expectFirefoxFramesFlowing(
  page: FirefoxPage,
  from: string,
  timeout = 30_000,
): Promise<void> {
  await expect
    .poll(() => firefoxFramesOver(page, from), {
      message: `video from ${from} plays on the Firefox page`,
      timeout,
    })
    .toBeGreaterThan(5);
}

/**
 * Inbound video frames decoded by the page's peer connections (`inbound-rtp` `framesDecoded`,
 * summed), recorded by {@link recordFirefoxPeerConnections}: the stats view of the same thing.
 */
export function firefoxFramesDecoded(page: FirefoxPage): Promise<number> {
  return page.evaluate(async () => {
    const refs = (window as unknown as { __pcs?: WeakRef<RTCPeerConnection>[] }).__pcs ?? [];
    let frames = 0;
    for (const ref of refs) {
      const pc = ref?.deref();
      if (!pc || pc.connectionState === 'closed') continue;
      // A connection being torn down may never answer getStats (Firefox): skip it, not hang.
      const stats = await Promise.race([
        pc.getStats(),
        new Promise<null>((r) => setTimeout(() => r(null), 1_000)),
      ]);
      stats?.forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
      });
    }
    return frames;
  });
}

/**
 * Records the page's peer connections as Chromium's pages do ({@link installPeerConnectionRecorder}:
 * states, candidates, offers and answers in `window.__pcLog`, weak references in `window.__pcs`),
 * for {@link firefoxFramesDecoded} and for reading a failure. Call before the page loads the app.
 */
export async function recordFirefoxPeerConnections(page: FirefoxPage): Promise<void> {
  await page.raw.evaluateOnNewDocument(installPeerConnectionRecorder);
}

export interface FirefoxFixtures {
  /** Firefox ESR for this test; its pages close before the server stops (see fixtures.ts). */
  firefox: PuppeteerBrowser;
}

/** The server fixture plus `firefox`. */
export const test = serverTest.extend<FirefoxFixtures>({
  // Depends on `server` so it is torn down first: an open Firefox socket would hold the
  // server's shutdown.
  firefox: async ({ server }, use) => {
    void server;
    const browser = await launchFirefox();
    try {
      await use(browser);
    } finally {
      await browser.close();
    }
  },
});
