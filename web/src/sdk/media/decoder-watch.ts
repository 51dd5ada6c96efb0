/**
 * Watches our decoder of one link from a broken path until frames decode steadily again, asks
 * for a keyframe when bytes arrive but frames do not, and says when that is stuck
 * (starved-decoder.ts decides). Chrome may stay `connected` through a dead path and an ICE
 * restart, so the decoder, not the ICE state, says when it is over.
 */
import { inboundMedia } from './link-stats.ts';
import { type DecodeWatch, idleDecodeWatch, watchDecoding } from './starved-decoder.ts';

const DECODE_POLL_MS = 100;
/** Frames decoded in this many samples in a row: the recovery is over. */
const DECODING_RUN_TO_STOP = 3;

/** Samples every DECODE_POLL_MS; `onDecoding` ends the watch. Returns what stops it sooner. */
export function watchDecoder(
  peerConnection: () => RTCPeerConnection | null,
  {
    onKeyframeNeeded,
    onStuck,
    onDecoding,
  }: { onKeyframeNeeded(): void; onStuck(): void; onDecoding(): void },
): () => void {
  let watch: DecodeWatch = idleDecodeWatch;
  let busy = false;
  const timer = setInterval(() => {
    const pc = peerConnection();
    if (!pc) {
      clearInterval(timer);
      return;
    }
    if (busy) return;
    busy = true;
    void inboundMedia(pc)
      .then((sample) => {
        if (sample) {
          const step = watchDecoding(watch, sample);
          watch = step.watch;
          if (step.askKeyframe) onKeyframeNeeded();
          if (step.stuck) onStuck();
        } else {
          // Nothing inbound at all (the other side sends no media): connected is all there is.
          const up = pc.connectionState === 'connected';
          watch = { ...watch, decodingRun: up ? watch.decodingRun + 1 : 0 };
        }
        if (watch.decodingRun >= DECODING_RUN_TO_STOP) {
          clearInterval(timer);
          onDecoding();
        }
      })
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, DECODE_POLL_MS);
  return () => clearInterval(timer);
}
