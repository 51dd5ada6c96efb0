import { describe, expect, it } from 'vitest';
import { type StallTrack, trackStalls } from '../../../web/src/sdk/media/stall-detector.ts';

describe('trackStalls', () => {
  const run = (steps: [number, number | null][], stallMs = 3_000) => {
    let tracks: ReadonlyMap<string, StallTrack> = new Map();
    const out: number[] = [];
    for (const [now, bytesReceived] of steps) {
      const r = trackStalls(tracks, [{ userId: 'a', bytesReceived }], now, stallMs);
      tracks = r.tracks;
      if (r.stalled.length) out.push(now);
    }
    return out;
  };

  it('flags silence of stallMs once', () => {
    expect(
      run([
        [0, 10],
        [1_000, 10],
        [2_999, 10],
        [3_000, 10],
        [4_000, 10],
      ]),
    ).toEqual([3_000]);
  });

  it('flowing bytes keep a peer healthy', () => {
    expect(
      run([
        [0, 10],
        [2_000, 20],
        [4_000, 30],
        [6_000, 40],
      ]),
    ).toEqual([]);
  });

  it('reports again after bytes flowed and stopped again', () => {
    expect(
      run([
        [0, 10],
        [3_000, 10],
        [4_000, 20],
        [7_000, 20],
      ]),
    ).toEqual([3_000, 7_000]);
  });

  it('a disconnected peer (no sample) is not tracked; a restarted counter is healthy', () => {
    expect(
      run([
        [0, 10],
        [1_000, null],
        [3_500, 10],
        [5_000, 5],
        [7_000, 5],
      ]),
    ).toEqual([]);
  });
});
