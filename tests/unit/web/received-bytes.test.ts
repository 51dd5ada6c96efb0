import { describe, expect, it } from 'vitest';
import { ReceivedBytes } from '../../../web/src/sdk/media/received-bytes.ts';

describe('ReceivedBytes', () => {
  it('is null until a pair or a stream exists, then starts at 0', () => {
    const bytes = new ReceivedBytes();
    expect(bytes.read(null, null)).toBeNull();
    expect(bytes.read({ id: 'p1', bytesReceived: 5_000 }, 4_000)).toBe(0);
  });

  it('grows with either counter: media flowing over a pair whose counter froze is not a stall', () => {
    const bytes = new ReceivedBytes();
    bytes.read({ id: 'p1', bytesReceived: 1_000 }, 800);
    expect(bytes.read({ id: 'p1', bytesReceived: 1_000 }, 1_800)).toBe(1_000);
    // STUN/RTCP on a path that came back, before any media.
    expect(bytes.read({ id: 'p1', bytesReceived: 1_300 }, 1_800)).toBe(1_300);
    // Nothing at all: flat.
    expect(bytes.read({ id: 'p1', bytesReceived: 1_300 }, 1_800)).toBe(1_300);
  });

  it('a new selected pair, counting from 0 again, never makes the total go backwards', () => {
    const bytes = new ReceivedBytes();
    bytes.read({ id: 'old', bytesReceived: 900_000 }, 850_000);
    expect(bytes.read({ id: 'new', bytesReceived: 200 }, 850_000)).toBe(0);
    expect(bytes.read({ id: 'new', bytesReceived: 700 }, 850_300)).toBe(800);
    // A stats report that briefly points back at the old pair adds nothing it already counted.
    expect(bytes.read({ id: 'old', bytesReceived: 900_000 }, 850_300)).toBe(800);
  });
});
