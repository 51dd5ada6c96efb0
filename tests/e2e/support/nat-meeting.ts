/**
 * The product behind NAT: the meeting app and SDK in Chromium behind A's and B's NATs of the NAT
 * lab (nat-lab.ts), talking to the lab's signaling server, which hands out the lab's coturn
 * (`natLabOptions.ice`). Fixtures, joining by deep link with peer connections recorded, and a
 * frame sampler that tells when video froze and came back; the episode and frame checks of
 * meeting.ts re-exported.
 */
import { readFileSync } from 'node:fs';
import { type Browser, type BrowserContext, test as base, expect, type Page } from '@playwright/test';
import { ownHandle, remoteFrames } from './meeting.ts';
import { NatLab, type NatLabOptions, natLabSkipReason } from './nat-lab.ts';
import { type PeerConnectionEvent, peerConnectionLog, recordPeerConnections } from './network.ts';

export interface NatMeetingFixtures {
  /** A fresh NAT lab per test (`natLabOptions`), torn down after it, also on failure. */
  natLab: NatLab;
  /** Chromium inside A's namespace (behind the home NAT, or the carrier NAT after a switch). */
  browserA: Browser;
  /** Chromium inside B's namespace (behind B's NAT). */
  browserB: Browser;
}

export const test = base.extend<NatMeetingFixtures & { natLabOptions: NatLabOptions }>({
  natLabOptions: [{}, { option: true }],
  natLab: async ({ natLabOptions }, use, testInfo) => {
    const skip = natLabSkipReason();
    testInfo.skip(skip !== null, skip ?? '');
    const lab = await NatLab.create(natLabOptions);
    try {
      await use(lab);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('coturn.log', { path: lab.turn.logPath }).catch(() => {});
        const out = lab.serverOutput().slice(-30).join('\n');
        if (out) console.log(`[natlab ${lab.id}] server output (last 30 lines):\n${out}`);
      }
      await lab.dispose();
    }
  },
  browserA: async ({ natLab }, use) => {
    await use(await natLab.launchBrowser('a'));
  },
  browserB: async ({ natLab }, use) => {
    await use(await natLab.launchBrowser('b'));
  },
});

export {
  expectFramesFlowing,
  expectResumeEpisode,
  framesOver,
  resumeRecords,
} from './meeting.ts';
export { expect };

export interface NatParticipant {
  name: string;
  context: BrowserContext;
  page: Page;
  /** When the page had its handle (ms since epoch). */
  joinedAt: number;
}

/** Opens the app's deep link in the lab (peer connections recorded from the start) and waits for the handle. */
export async function joinBehindNat(
  browser: Browser,
  lab: NatLab,
  room: string,
  name: string,
): Promise<NatParticipant> {
  const context = await browser.newContext();
  await recordPeerConnections(context);
  const page = await context.newPage();
  await page.goto(`${lab.serverUrl}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`);
  await expect(page.locator('#meeting')).toBeVisible();
  await expect.poll(() => ownHandle(page)).toBeGreaterThan(0);
  return { name, context, page, joinedAt: Date.now() };
}

/** The tile of the remote participant `name` on `page`. */
export function remoteTile(page: Page, name: string) {
  return page.locator('#video-grid figure.tile:not(.local)', {
    has: page.locator(`video[data-name="${name}"]`),
  });
}

interface Sample {
  t: number;
  /** New frames since the previous sample (a replaced tile counts from zero). */
  delta: number;
}

/** When video froze after `since` and when it came back, from 200 ms samples. */
export interface VideoRecovery {
  /** ms from `since` to the first stall (two samples in a row, ~400 ms, without a new frame); null: never froze. */
  frozeMs: number | null;
  /** ms from `since` to the first new frame after that stall. */
  firstFrameMs: number | null;
  /** ms from `since` to the first sample after the last stall: video flowing for good. */
  steadyMs: number | null;
  /** Frames decoded per second after `since` (second: frames). */
  fps: string;
}

/**
 * Samples the frames `watcher` decodes from `from` every 200 ms until stopped; `recovery(since)`
 * says when video froze after `since`, when the first frame came back and when it flowed for good.
 * A stall is ~400 ms without a frame: one empty 200 ms sample happens at low frame rates.
 */
export function sampleFrames(watcher: Page, from: string) {
  const samples: Sample[] = [];
  let running = true;
  let last: number | null = null;
  const done = (async () => {
    while (running) {
      const count = await remoteFrames(watcher)
        .then((f) => f[from] ?? 0)
        .catch(() => null);
      if (count !== null) {
        const delta = last === null ? 0 : count >= last ? count - last : count;
        if (last !== null) samples.push({ t: Date.now(), delta });
        last = count;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop(): Promise<void> {
      running = false;
      await done;
    },
    recovery(since: number): VideoRecovery {
      const after = samples.filter((s) => s.t >= since);
      const stalls = after.flatMap((s, i) =>
        i > 0 && s.delta === 0 && after[i - 1]?.delta === 0 ? [i - 1] : [],
      );
      const firstStall = stalls[0];
      const lastStall = stalls.at(-1);
      const at = (i: number | undefined) => {
        const s = i === undefined ? undefined : after[i];
        return s ? s.t - since : null;
      };
      const firstFrame =
        firstStall === undefined ? undefined : after.findIndex((s, i) => i > firstStall && s.delta > 0);
      const steady =
        lastStall === undefined ? undefined : after.findIndex((s, i) => i > lastStall + 1 && s.delta > 0);
      const fps = new Map<number, number>();
      for (const s of after) {
        const second = Math.floor((s.t - since) / 1_000);
        fps.set(second, (fps.get(second) ?? 0) + s.delta);
      }
      return {
        frozeMs: at(firstStall),
        firstFrameMs: firstFrame === undefined || firstFrame < 0 ? null : at(firstFrame),
        steadyMs: firstStall === undefined ? 0 : steady === undefined || steady < 0 ? null : at(steady),
        fps: [...fps].map(([sec, n]) => `${sec}s:${n}`).join(' '),
      };
    },
  };
}

/** The page's peer-connection log relative to `since` (states, candidates, configs), for reports. */
export async function pcTimeline(page: Page, since: number, kinds?: PeerConnectionEvent['kind'][]) {
  return (await peerConnectionLog(page).catch(() => [] as PeerConnectionEvent[]))
    .filter((e) => !kinds || kinds.includes(e.kind))
    .filter((e) => e.kind !== 'created' || e.at >= since - 1_000)
    .map((e) => `${e.at - since}ms pc${e.pc} ${e.kind} ${e.value}`.trim());
}

/** coturn's log (verbose) so far: the lines about sessions, allocations and authentication. */
export function coturnLines(lab: NatLab, pattern: RegExp): string[] {
  let text = '';
  try {
    text = readFileSync(lab.turn.logPath, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => pattern.test(l));
}

/** JSON to stdout and as an attachment of the test. */
export async function report(title: string, body: unknown): Promise<void> {
  const text = JSON.stringify(body, null, 2);
  console.log(`[${title}] ${text}`);
  await test.info().attach('nat-network-report.json', { body: text, contentType: 'application/json' });
}
