/**
 * One run of bench:peers: a fresh namespace lab, A (Ada) and B (Bob) in a call on one system
 * (the product, or the PeerJS reference page served with PeerJS's server from R), media flowing
 * both ways, then one network change on A. Measured: network whole again → frames presented
 * steadily again on each side (frame-times.ts: every frame's presentation time), within 60 s or
 * never; how late each side then played the other's audio (audio-delay.ts); the gaps each side
 * saw; and for the product the TSDK episodes on each side.
 */
import type { Browser, Page } from '@playwright/test';
import { expectFramesFlowing } from '../tests/e2e/support/meeting.ts';
import { NetnsLab } from '../tests/e2e/support/netns.ts';
import { audioDelayAfter } from './audio-delay.ts';
import { gapsBetween, installFrameTimes, steadyFrameAt } from './frame-times.ts';
import { applyChange, PEERJS_URL, type PeerScenario, prepareLab, startPeerjsServer } from './peers-lab.ts';
import {
  episodesSince,
  meetInLab,
  printTrace,
  recordConnections,
  SETTLE_AFTER_MS,
  SETTLE_BEFORE_MS,
} from './recovery-netns.ts';

export type PeerSystem = 'ours' | 'peerjs';

export interface PeerSample {
  system: PeerSystem;
  scenario: PeerScenario;
  /** Network whole again → A decodes B steadily again, and B decodes A (null: not within 60 s). */
  framesOnA: number | null;
  framesOnB: number | null;
  /** How late the other side's audio played, 2–4 s after the network was whole (audio-delay.ts). */
  audioLateOnA?: number | null;
  audioLateOnB?: number | null;
  /** How long the network was broken (the change itself, or the outage). */
  brokenMs: number;
  /** Frame gaps over 150 ms on A and on B from the change to the recovery (`+start for length`). */
  gapsOnA?: string[];
  gapsOnB?: string[];
  /** PeerJS only: what the reference page did from the change on (`+ms what`), A's then B's. */
  peerjsA?: string[];
  peerjsB?: string[];
  /** The product only: CONF_RESUMING_IND on each side from the change on. */
  episodesOnA?: number;
  episodesOnB?: number;
  error?: string;
}

/** A system that has not recovered a minute after the network is back never will by itself. */
export const NEVER_AFTER_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function openPeerjs(browser: Browser, me: string, them: string, caller: boolean): Promise<Page> {
  const context = await browser.newContext();
  await recordConnections(context);
  const page = await context.newPage();
  await page.goto(`${PEERJS_URL}/?me=${me}&them=${them}${caller ? '&call=1' : ''}`);
  return page;
}

const peerjsLog = (page: Page, at: number) =>
  page.evaluate(
    (at) =>
      ((window as unknown as { __peerjsEvents?: { at: number; what: string }[] }).__peerjsEvents ?? [])
        .filter((e) => e.at >= at)
        .map((e) => `+${e.at - at} ${e.what}`),
    at,
  );

/** `trace`: print the product's WebRTC timeline of the run (bench/rtc-trace.ts) after its sample. */
export async function peerRun(
  system: PeerSystem,
  scenario: PeerScenario,
  run: number,
  { trace = false }: { trace?: boolean } = {},
): Promise<PeerSample> {
  const lab = await NetnsLab.create({ logLevel: 'warn', log: () => {} });
  let peerjs: { stop(): void } | null = null;
  try {
    await prepareLab(lab, scenario);
    // The PeerJS page's origin must count as secure for the camera, like the product's.
    const args = system === 'peerjs' ? [`--unsafely-treat-insecure-origin-as-secure=${PEERJS_URL}`] : [];
    const [browserA, browserB] = await Promise.all([
      lab.launchBrowser('a', args),
      lab.launchBrowser('b', args),
    ]);
    let a: Page;
    let b: Page;
    if (system === 'ours') {
      const met = await meetInLab(
        { a: browserA, b: browserB },
        lab.serverUrl,
        `peers-${scenario}-${run}`,
        'fast',
        trace,
      );
      a = met.a.page;
      b = met.b.page;
    } else {
      peerjs = await startPeerjsServer(lab);
      b = await openPeerjs(browserB, 'Bob', 'Ada', false);
      a = await openPeerjs(browserA, 'Ada', 'Bob', true);
    }
    await Promise.all([expectFramesFlowing(a, 'Bob', 20_000), expectFramesFlowing(b, 'Ada', 20_000)]);
    await Promise.all([installFrameTimes(a), installFrameTimes(b)]);
    await sleep(SETTLE_BEFORE_MS);
    const { at, backAt } = await applyChange(lab, scenario);
    const [framesA, framesB, audioA, audioB] = await Promise.all([
      steadyFrameAt(a, 'Bob', backAt, NEVER_AFTER_MS),
      steadyFrameAt(b, 'Ada', backAt, NEVER_AFTER_MS),
      audioDelayAfter(a, backAt),
      audioDelayAfter(b, backAt),
    ]);
    const sample: PeerSample = {
      system,
      scenario,
      framesOnA: framesA === null ? null : Math.round(framesA - backAt),
      framesOnB: framesB === null ? null : Math.round(framesB - backAt),
      audioLateOnA: audioA,
      audioLateOnB: audioB,
      brokenMs: backAt - at,
      gapsOnA: await gapsBetween(a, 'Bob', at, framesA ?? backAt + NEVER_AFTER_MS),
      gapsOnB: await gapsBetween(b, 'Ada', at, framesB ?? backAt + NEVER_AFTER_MS),
    };
    if (system === 'peerjs') {
      sample.peerjsA = await peerjsLog(a, at);
      sample.peerjsB = await peerjsLog(b, at);
    }
    if (system === 'ours') {
      await sleep(SETTLE_AFTER_MS);
      sample.episodesOnA = await episodesSince(a, at);
      sample.episodesOnB = await episodesSince(b, at);
    }
    console.log(JSON.stringify(sample));
    if (trace && system === 'ours') await printTrace(a, b, at);
    return sample;
  } catch (err) {
    const error = (err as Error).message.split('\n')[0] ?? String(err);
    const sample: PeerSample = { system, scenario, framesOnA: null, framesOnB: null, brokenMs: 0, error };
    console.log(JSON.stringify(sample));
    return sample;
  } finally {
    peerjs?.stop();
    await lab.dispose();
  }
}
