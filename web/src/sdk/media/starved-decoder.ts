/**
 * When to ask the remote side for a keyframe, as a pure step over samples of our inbound video:
 * video bytes arrive but no frame decodes. That is the one case a keyframe fixes (the decoder
 * lost its reference); when the sender's retransmissions fill the gap, frames decode at once
 * and a keyframe would only hurt — measured on an IP change, restarting the remote encoder
 * while retransmissions were in flight froze video for ~2 s (bench:recovery --trace).
 *
 * A decoder still starved well after its first ask is stuck, and no keyframe frees it: after a
 * UDP blackhole (and some IP changes) Chromium's receiver sometimes holds every frame, keyframes
 * included, for 2–3 s (bench:peers --trace: `jb` 2.1–2.7 s on the frame that finally decoded;
 * the keyframes asked for arrived ~150 ms after each ask). Most likely its playout clock was set
 * by frames from the outage that reached it late (it times playout by every frame not marked as
 * retransmitted); with RTX stripped from the SDP it happened too. Only a new receiver (a rebuilt
 * link) starts with a clean clock.
 */

export interface DecodeSample {
  at: number;
  /** Inbound video bytes and frames decoded so far (counters that only grow). */
  bytes: number;
  frames: number;
  /** Inbound audio bytes: the only media of a participant without a camera. */
  audioBytes?: number;
}

export interface DecodeWatch {
  last: DecodeSample | null;
  /** Since when bytes have flowed while no frame decoded. */
  starvedSince: number | null;
  askedAt: number | null;
  /** Consecutive samples in which frames decoded: enough of them and the media is back. */
  decodingRun: number;
}

export interface StarvationRules {
  /** Bytes without frames for this long means the decoder waits for a reference it won't get. */
  waitMs: number;
  /** Ask again this often while it lasts (a keyframe can be lost too). */
  reaskMs: number;
  /** Starved this long (a keyframe was asked for at `waitMs`; one arrives in ~150 ms): stuck. */
  stuckMs: number;
}

export const STARVATION_RULES: StarvationRules = { waitMs: 150, reaskMs: 1_000, stuckMs: 1_000 };

export const idleDecodeWatch: DecodeWatch = { last: null, starvedSince: null, askedAt: null, decodingRun: 0 };

export function watchDecoding(
  watch: DecodeWatch,
  sample: DecodeSample,
  rules: StarvationRules = STARVATION_RULES,
): { watch: DecodeWatch; askKeyframe: boolean; stuck: boolean } {
  const last = watch.last;
  if (!last) return { watch: { ...watch, last: sample }, askKeyframe: false, stuck: false };
  // A participant that sends no video "decodes" when its audio flows.
  const decoding =
    sample.frames > last.frames || (sample.bytes === 0 && (sample.audioBytes ?? 0) > (last.audioBytes ?? 0));
  const flowing = sample.bytes > last.bytes;
  if (decoding || !flowing) {
    return {
      watch: {
        ...watch,
        last: sample,
        starvedSince: null,
        decodingRun: decoding ? watch.decodingRun + 1 : 0,
      },
      askKeyframe: false,
      stuck: false,
    };
  }
  const starvedSince = watch.starvedSince ?? last.at;
  const askKeyframe =
    sample.at - starvedSince >= rules.waitMs &&
    (watch.askedAt === null || sample.at - watch.askedAt >= rules.reaskMs);
  // Said once per starvation: on the sample that crosses `stuckMs`.
  const stuck = sample.at - starvedSince >= rules.stuckMs && last.at - starvedSince < rules.stuckMs;
  return {
    watch: {
      last: sample,
      starvedSince,
      askedAt: askKeyframe ? sample.at : watch.askedAt,
      decodingRun: 0,
    },
    askKeyframe,
    stuck,
  };
}
