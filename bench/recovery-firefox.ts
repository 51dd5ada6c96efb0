/**
 * Firefox scenario of bench:recovery: `firefox-ip-change` is `ip-change` (recovery-netns.ts)
 * with Firefox ESR as A, the participant whose address changes (inside namespace A over
 * WebDriver BiDi: tests/e2e/support/firefox-netns.ts), and Chromium as B. A fresh lab per run,
 * with its safety rules. The figures mean what they mean for `ip-change` (measureChange): media
 * flowing both ways, then SETTLE_BEFORE_MS, then the change; change → A's CONF_RESUMING_IND and
 * CONF_RESUME_RESULT, → frames steady again on each side (the first frame at least 300 ms after
 * the change whose successor came within 200 ms), episodes counted until SETTLE_AFTER_MS after.
 *
 * One difference, Firefox's: headless Firefox reports `totalVideoFrames` 0, so its frames are
 * its peer connections' inbound-rtp `framesDecoded` (sampled every 20 ms, as the Chromium
 * monitor samples `totalVideoFrames`), logged per change under the one remote name.
 */
import type { Page } from '@playwright/test';
import {
  expectFirefoxFramesFlowing,
  type FirefoxPage,
  joinFirefoxByLink,
  recordFirefoxPeerConnections,
} from '../tests/e2e/support/firefox.ts';
import { launchFirefoxInNamespace, type NamespacedFirefox } from '../tests/e2e/support/firefox-netns.ts';
import { expectFramesFlowing, joinByLink } from '../tests/e2e/support/meeting.ts';
import { NetnsLab } from '../tests/e2e/support/netns.ts';
import { recordPeerConnections, selectedCandidatePairs } from '../tests/e2e/support/network.ts';
import { installFrameMonitor } from './frames-monitor.ts';
import {
  failedRun,
  poll,
  SETTLE_AFTER_MS,
  SETTLE_BEFORE_MS,
  sinceChange,
  steadyFramesAt,
} from './recovery-netns.ts';
import type { Mode, Sample } from './recovery-sample.ts';

export const FIREFOX_SCENARIOS = ['firefox-ip-change'];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const RESUMING = 'TSDK_E_CONF_EVT_CONF_RESUMING_IND';
const RESULT = 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT';

// Strings, not functions: tsx's keepNames would inject `__name` into a serialized function.
const NAME_SHIM = 'globalThis.__name ??= (target) => target;';
/** Logs in `window.__frames[NAME]` the times the sum of inbound `framesDecoded` moved. */
const frameMonitor = (name: string) => `(() => {
  if (window.__frames) return;
  const log = [];
  window.__frames = { ${JSON.stringify(name)}: log };
  let last = -1;
  let busy = false;
  setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      let frames = 0;
      for (const ref of window.__pcs || []) {
        const pc = ref && ref.deref();
        if (!pc || pc.connectionState === 'closed') continue;
        // A connection being torn down may never answer: one hung read must not stop the log.
        const stats = await Promise.race([pc.getStats(), new Promise((r) => setTimeout(r, 500))]);
        if (!stats) continue;
        stats.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
        });
      }
      if (frames !== last) {
        if (last >= 0) log.push(Date.now());
        last = frames;
        if (log.length > 4000) log.splice(0, 2000);
      }
    } finally {
      busy = false;
    }
  }, 20);
})()`;
/** The selected pair's candidate types, `local ⇄ remote`, of every connected peer connection. */
const PATH = `(async () => {
  const out = [];
  for (const ref of window.__pcs || []) {
    const pc = ref && ref.deref();
    if (!pc || pc.connectionState !== 'connected') continue;
    const stats = await pc.getStats();
    let pair;
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) pair ??= s;
    });
    const type = (id) => (id && stats.get(id) ? stats.get(id).candidateType : '?');
    if (pair) out.push(type(pair.localCandidateId) + ' ⇄ ' + type(pair.remoteCandidateId));
  }
  return out.join(', ') || 'none';
})()`;

/** Like steadyFramesAt (recovery-netns.ts), on the Firefox page. */
function steadyFirefoxFramesAt(page: FirefoxPage, name: string, since: number): Promise<number | null> {
  return poll(
    () =>
      page.raw.evaluate(
        (name, since) => {
          const list = (window as unknown as { __frames?: Record<string, number[]> }).__frames?.[name] ?? [];
          const i = list.findIndex(
            (t, k) => t >= since && (list[k + 1] ?? Number.POSITIVE_INFINITY) - t < 200,
          );
          return i < 0 ? null : (list[i] ?? null);
        },
        name,
        since,
      ),
    20_000,
  );
}

type Notification = { event: string; at: number };
const historyOf = (page: { evaluate<R>(fn: () => R): Promise<R> }) =>
  page.evaluate(() => window.meetingClient.history as Notification[]);

/** One run of `firefox-ip-change`: the lab, Firefox as A (Ada), Chromium as B (Bob), the change. */
async function runOnce(lab: NetnsLab, firefox: NamespacedFirefox, mode: Mode, room: string): Promise<Sample> {
  const scenario = 'firefox-ip-change';
  const query = `recovery=${mode}`;
  const ada = await joinFirefoxByLink(firefox.browser, lab.serverUrl, room, 'Ada', {
    query,
    beforeJoin: async (page) => {
      await page.raw.evaluateOnNewDocument(NAME_SHIM);
      await recordFirefoxPeerConnections(page);
    },
  });
  const browserB = await lab.launchBrowser('b');
  const bob = await joinByLink(browserB, lab.serverUrl, room, 'Bob', {
    query,
    beforeJoin: async (page: Page) => {
      await page.context().addInitScript(NAME_SHIM);
      await recordPeerConnections(page.context());
    },
  });
  await Promise.all([ada.page.raw.evaluate(frameMonitor('Bob')), installFrameMonitor(bob.page)]);
  await Promise.all([
    expectFirefoxFramesFlowing(ada.page, 'Bob', 20_000),
    expectFramesFlowing(bob.page, 'Ada', 20_000),
  ]);
  await sleep(SETTLE_BEFORE_MS);
  const done = await lab.changeIp();
  const at = done.at;
  // Frames that were already in flight are not recovery: wait for the freeze to be visible.
  const since = at + 300;
  const [framesA, framesB, times] = await Promise.all([
    steadyFirefoxFramesAt(ada.page, 'Bob', since),
    steadyFramesAt(bob.page, 'Ada', since),
    poll(async () => {
      const h = await historyOf(ada.page);
      const resuming = h.find((n) => n.event === RESUMING && n.at >= at);
      const result = h.find((n) => n.event === RESULT && n.at >= at);
      return result ? { resuming: resuming?.at ?? null, result: result.at } : null;
    }, 30_000),
  ]);
  await sleep(SETTLE_AFTER_MS);
  const episodes = async (page: { evaluate<R>(fn: () => R): Promise<R> }) =>
    (await historyOf(page)).filter((n) => n.event === RESUMING && n.at >= at).length;
  const pathB = await selectedCandidatePairs(bob.page)
    .then(
      (pairs) => pairs.map((p) => `${p.local?.type ?? '?'} ⇄ ${p.remote?.type ?? '?'}`).join(', ') || 'none',
    )
    .catch(() => 'none');
  const sample: Sample = {
    scenario,
    mode,
    ...sinceChange(at, framesA, framesB, times),
    episodesOnA: await episodes(ada.page),
    episodesOnB: await episodes(bob.page),
    pathA: await ada.page.raw.evaluate(PATH).then(String, () => 'none'),
    pathB,
  };
  console.log(JSON.stringify(sample));
  return sample;
}

export async function runFirefoxScenario(scenario: string, mode: Mode, runs: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const lab = await NetnsLab.create({ logLevel: 'warn', log: () => {} });
    const held: { firefox?: NamespacedFirefox } = {};
    try {
      const run = async () => {
        held.firefox = await launchFirefoxInNamespace(lab.ns.a, { secureOrigins: [lab.serverUrl] });
        return runOnce(lab, held.firefox, mode, `bench-${scenario}-${i}`);
      };
      samples.push(await run().catch((err) => failedRun(scenario, mode, err)));
    } finally {
      await held.firefox?.close();
      await lab.dispose();
    }
  }
  return samples;
}
