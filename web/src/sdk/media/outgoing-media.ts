/**
 * What one link sends, switched through its encodings: held while we have no network, or the
 * other side has none, and video restarted on a keyframe request.
 *
 * With no network at all (the interface is down) Chrome keeps encoding and queues what it cannot
 * send; when the link is back it delivers seconds of stale video at once, and the receiver plays
 * it and then holds fresh frames back: bench:peers link-down-5s, frames back on B 415–4 230 ms,
 * bimodal (4 of 8 runs 3.2–4.2 s, only keyframes decoding, 0.7–0.9 s apart). Held from the
 * `offline` event until anything arrives from the other side again (a STUN check or answer,
 * RTCP, media, on any candidate pair), the stale video is never sent: B 155–331 ms in the 10 of 14
 * runs that did not rebuild, none in the slow mode.
 *
 * The other side's network gone (their socket is dead: outage-arbiter.ts) is held too, audio
 * with video: a router queues what it cannot deliver to an address whose link is down (the lab's
 * neighbour entry for A was INCOMPLETE at the end of the outage) and hands it all over once the
 * link is back, and A plays that before anything fresh. bench:peers link-down-5s, 3 runs each,
 * interleaved: B's audio played on A 1 423–1 479 ms late 2–4 s after the link was back (it
 * catches up ~0.2 s per second), 10–20 ms with the hold. Firefox ESR takes `active` false on an
 * audio sender and keeps sending it.
 *
 * That hold starts when their path breaks, *provisionally* while the arbiter finds out whether
 * their socket died with it (a probe over signaling, up to 1 s), and is lifted at once when it
 * answers. Held only once their socket was known dead (~2 s into the link-down), what B had sent
 * in the last second before was still in Chrome's send history when the link came back (a held
 * encoder pushes nothing out of it): A asked for it, got it resent, and held B's fresh video
 * ~0.6–1.4 s in its jitter buffer, the delay draining at ~0.4 s per second. Held from the stall
 * (~1 s in), nothing was resent (bench:peers link-down-5s --trace, 6 runs of each, interleaved):
 * B's video back on A after 178–349 ms (median 276) against 208–3 228 (median 626; resent packets
 * and a 625–1 361 ms jitter buffer in 2 runs, a rebuild in a third). In a UDP blackhole both
 * sockets answer, and the provisional hold lasts one probe's round trip: video back on each side
 * no later (udp-blackhole-3s, 6 runs of each).
 *
 * Holding on every broken path was measured and rejected: where Chrome still sends (a UDP
 * blackhole, a stall on the side whose network did not change) the frames sent before the hold
 * are lost, the other side asks for them again after the outage, and since a held encoder adds
 * nothing to Chrome's send history they are still there to resend, seconds old: video stopped
 * again for ~3 s after every 3 s UDP blackhole (against half the runs without the hold). The
 * hold on their side is narrower: their socket dies with their network, never in a UDP blackhole;
 * after an IP change, a gapless switch or a dual-homed switch, where it holds too, video came
 * back no later (3 runs each, interleaved).
 *
 * An inactive encoding sends nothing, and one made active again starts with a keyframe
 * (environment.md: frames back in ~65–340 ms instead of 1.3–2.3 s), which is also how a
 * keyframe is forced.
 */
import { pairArrivals } from './link-stats.ts';

const POLL_MS = 100;
/**
 * Polls that may still see something arrive before a hold is given up: the first reading may be
 * a report Chrome cached from before the path died (it caches getStats for ~50 ms), and packets
 * in flight land after it. A path that still works shows arrivals at every poll.
 */
const CHECK_POLLS = 3;
/** A second encoder restart while the first keyframe is in flight loses it. */
const KEYFRAME_SPACING_MS = 300;

/** Whether anything arrived on some candidate pair since `before` (a pair new since then counts). */
export function arrivedSince(before: ReadonlyMap<string, number>, now: ReadonlyMap<string, number>): boolean {
  for (const [pair, count] of now) if (count > (before.get(pair) ?? 0)) return true;
  return false;
}

type Kind = 'audio' | 'video';
const EVERYTHING: readonly Kind[] = ['audio', 'video'];
const VIDEO: readonly Kind[] = ['video'];

/**
 * Every encoding of the senders of these kinds active or not; a sender counts by its m-line, so
 * one whose track was removed during a hold is still released. False when a sender refused (one
 * mid-negotiation does): the caller tries again.
 */
export async function setSendingActive(
  pc: RTCPeerConnection,
  active: boolean,
  kinds: readonly Kind[],
): Promise<boolean> {
  const senders = pc
    .getTransceivers()
    .filter((t) => kinds.includes(t.receiver.track.kind as Kind) && t.currentDirection !== 'stopped')
    .map((t) => t.sender);
  const done = await Promise.all(
    senders.map(async (sender) => {
      const params = sender.getParameters();
      if (!params.encodings?.length) return true;
      for (const e of params.encodings) e.active = active;
      try {
        await sender.setParameters(params);
        return true;
      } catch {
        return false;
      }
    }),
  );
  return done.every(Boolean);
}

export interface OutgoingMediaDeps {
  peerConnection(): RTCPeerConnection | null;
  /** Per candidate pair, a counter of what arrived on it (link-stats.ts). */
  arrivals?(pc: RTCPeerConnection): Promise<ReadonlyMap<string, number>>;
  setActive?(pc: RTCPeerConnection, active: boolean, kinds: readonly Kind[]): Promise<boolean>;
  pollMs?: number;
  now?(): number;
}

/** `checking`: asked to hold, waiting for a poll with nothing arrived (CHECK_POLLS at most). */
type Phase = 'sending' | 'checking' | 'held';

export class OutgoingMedia {
  readonly #deps: Required<OutgoingMediaDeps>;
  #phase: Phase = 'sending';
  #holds = 0;
  #keyframes = 0;
  #lastKeyframeAt = Number.NEGATIVE_INFINITY;
  /** What had arrived at the last poll while checking, then at the hold (null until read). */
  #before: ReadonlyMap<string, number> | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #busy = false;
  #checks = 0;
  /** The hold was asked only provisionally (see `hold`). */
  #provisional = false;
  /** A provisional hold was lifted: polls release it without waiting for anything to arrive. */
  #lifted = false;
  /** Toggles in order: two concurrent setParameters on one sender refuse each other. */
  #toggles: Promise<unknown> = Promise.resolve();

  constructor(deps: OutgoingMediaDeps) {
    this.#deps = {
      arrivals: pairArrivals,
      setActive: setSendingActive,
      pollMs: POLL_MS,
      now: Date.now,
      ...deps,
    };
  }

  get held(): boolean {
    return this.#phase === 'held';
  }

  /** How many times sending was held, and keyframes forced: for diagnostics. */
  get holds(): number {
    return this.#holds;
  }

  get keyframesForced(): number {
    return this.#keyframes;
  }

  /**
   * Every video encoder starts over with a keyframe. Not while held: the release starts them
   * over anyway, and sending now would reach a dead path.
   */
  async keyframe(): Promise<void> {
    const pc = this.#deps.peerConnection();
    const now = this.#deps.now();
    if (!pc || this.held || now - this.#lastKeyframeAt < KEYFRAME_SPACING_MS) return;
    this.#lastKeyframeAt = now;
    this.#keyframes += 1;
    void this.#toggle(pc, false, VIDEO);
    await this.#toggle(pc, true, VIDEO);
  }

  /**
   * Our network went away, or theirs: once a poll sees nothing arrive, nothing is sent until
   * something does. A path that still carries something at every poll (a second interface, a
   * blip) is left alone: holding it would only restart the encoders and freeze the video ~200 ms.
   * `provisional`: their network may be gone; `lift()` sends again if it was not.
   */
  hold(provisional = false): void {
    if (this.#phase !== 'sending') {
      // Asked for sure: no lift applies to this hold any more, not even one already under way.
      if (!provisional) this.#provisional = this.#lifted = false;
      return;
    }
    if (!this.#deps.peerConnection()) return;
    this.#provisional = provisional;
    this.#lifted = false;
    this.#phase = 'checking';
    this.#before = null;
    this.#checks = 0;
    this.#timer = setInterval(() => void this.#poll(), this.#deps.pollMs);
    void this.#poll();
  }

  /** A provisional hold, and no other since: sending starts again now, not when they are heard. */
  lift(): void {
    if (!this.#provisional || this.#phase === 'sending') return;
    this.#provisional = false;
    if (this.#phase === 'checking') this.stop();
    else {
      this.#lifted = true;
      void this.#poll();
    }
  }

  /** The link is closed: nothing to release. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#phase = 'sending';
  }

  async #poll(): Promise<void> {
    const pc = this.#deps.peerConnection();
    if (!pc) {
      this.stop();
      return;
    }
    if (this.#busy) return;
    this.#busy = true;
    try {
      const now = await this.#deps.arrivals(pc);
      if (this.#phase === 'sending') return;
      const before = this.#before;
      if (this.#phase === 'checking') this.#before = now;
      if (before === null) return;
      const arrived = arrivedSince(before, now);
      if (this.#phase === 'checking') {
        if (arrived) {
          this.#checks += 1;
          if (this.#checks >= CHECK_POLLS) this.stop();
          return;
        }
        this.#phase = 'held';
        this.#holds += 1;
        void this.#toggle(pc, false, EVERYTHING);
        return;
      }
      // Released only once every sender took it; a refusal is tried again at the next poll.
      if ((arrived || this.#lifted) && (await this.#toggle(pc, true, EVERYTHING))) this.stop();
    } catch {
      // No stats this time (bounded-stats.ts): the next poll asks again.
    } finally {
      this.#busy = false;
    }
  }

  #toggle(pc: RTCPeerConnection, active: boolean, kinds: readonly Kind[]): Promise<boolean> {
    const next = this.#toggles.then(() => this.#deps.setActive(pc, active, kinds)).catch(() => false);
    this.#toggles = next;
    return next;
  }
}
