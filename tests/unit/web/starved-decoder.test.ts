import { describe, expect, it } from 'vitest';
import {
  type DecodeWatch,
  idleDecodeWatch,
  watchDecoding,
} from '../../../web/src/sdk/media/starved-decoder.ts';

/** Feeds samples every 100 ms; returns the times a keyframe was asked for. */
function asks(samples: [bytes: number, frames: number][]): number[] {
  let watch: DecodeWatch = idleDecodeWatch;
  const out: number[] = [];
  samples.forEach(([bytes, frames], i) => {
    const step = watchDecoding(watch, { at: i * 100, bytes, frames });
    watch = step.watch;
    if (step.askKeyframe) out.push(i * 100);
  });
  return out;
}

describe('watchDecoding', () => {
  it('asks once bytes have arrived for 150 ms without a decoded frame, then again after 1 s', () => {
    const samples: [number, number][] = [[0, 10]];
    for (let i = 1; i <= 15; i++) samples.push([i * 1_000, 10]);
    expect(asks(samples)).toEqual([200, 1200]);
  });

  it('never asks while frames decode, or while nothing arrives (a dead path is not a starved decoder)', () => {
    expect(
      asks([
        [0, 0],
        [100, 3],
        [200, 6],
        [200, 6],
        [200, 6],
        [200, 6],
        [300, 9],
      ]),
    ).toEqual([]);
  });

  it('a decoder that recovers by itself (retransmissions fill the gap) within the wait is left alone', () => {
    expect(
      asks([
        [0, 5],
        [500, 5],
        [900, 12],
        [1_300, 15],
      ]),
    ).toEqual([]);
  });

  it('a decoder still starved 1 s in, a keyframe asked for meanwhile, is stuck: said once, again only after it decoded', () => {
    let watch: DecodeWatch = idleDecodeWatch;
    const stuckAt: number[] = [];
    // Bytes every 100 ms; frames decode only at 2.5 s; starved again from 2.6 s.
    for (let i = 0; i <= 40; i++) {
      const frames = i < 25 ? 5 : 6;
      const step = watchDecoding(watch, { at: i * 100, bytes: i * 1_000, frames });
      watch = step.watch;
      if (step.stuck) stuckAt.push(i * 100);
    }
    expect(stuckAt).toEqual([1_000, 3_500]);
  });

  it('counts consecutive decoding samples, reset by a pause', () => {
    let watch: DecodeWatch = idleDecodeWatch;
    const frames = [0, 1, 2, 3, 3, 4, 5];
    const runs = frames.map((f, i) => {
      watch = watchDecoding(watch, { at: i * 100, bytes: i * 100, frames: f }).watch;
      return watch.decodingRun;
    });
    expect(runs).toEqual([0, 1, 2, 3, 0, 1, 2]);
  });
});
