/**
 * How late the other side's audio plays once the network is whole again (bench:peers): the mean
 * time a sample waited in the receiver's jitter buffer (inbound-rtp audio `jitterBufferDelay` over
 * `jitterBufferEmittedCount`) during a window after the change, summed over the page's live peer
 * connections (`window.__pcs`, recordPeerConnections). What a router queued during an outage
 * arrives at once when the link is back, and the receiver plays all of it before what is fresh:
 * everything said afterwards is heard that much later, catching up a fraction of a second per
 * second. Video frames say nothing of it.
 */
import type { Page } from '@playwright/test';

/** The window, from the network being whole again: after the first recovery, before catching up. */
export const AUDIO_WINDOW_MS = { from: 2_000, to: 4_000 };

interface Reading {
  /** Per peer connection (index in `__pcs`): seconds waited, samples emitted. */
  [pc: number]: { waited: number; emitted: number };
}

function read(page: Page): Promise<Reading> {
  return page.evaluate(async () => {
    const refs = (window as unknown as { __pcs?: WeakRef<RTCPeerConnection>[] }).__pcs ?? [];
    const reading: Record<number, { waited: number; emitted: number }> = {};
    for (const [i, ref] of refs.entries()) {
      const pc = ref?.deref();
      if (!pc || pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
        const r = reading[i] ?? { waited: 0, emitted: 0 };
        r.waited += s.jitterBufferDelay ?? 0;
        r.emitted += s.jitterBufferEmittedCount ?? 0;
        reading[i] = r;
      });
    }
    return reading;
  });
}

const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

/**
 * Mean jitter-buffer wait of the audio played in the window after `backAt`, ms; null when no
 * audio played then. A connection made during the window counts from zero.
 */
export async function audioDelayAfter(page: Page, backAt: number): Promise<number | null> {
  await until(backAt + AUDIO_WINDOW_MS.from);
  const before = await read(page);
  await until(backAt + AUDIO_WINDOW_MS.to);
  const after = await read(page);
  let waited = 0;
  let emitted = 0;
  for (const [pc, now] of Object.entries(after)) {
    const then = before[Number(pc)] ?? { waited: 0, emitted: 0 };
    waited += now.waited - then.waited;
    emitted += now.emitted - then.emitted;
  }
  return emitted > 0 ? Math.round((1_000 * waited) / emitted) : null;
}
