import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { MemoryStore } from '../../../signaling-server/src/store/memory-store.ts';
import {
  hashToken,
  newToken,
  rotateToken,
  takeSessionByToken,
} from '../../../signaling-server/src/tokens.ts';

describe('resume tokens', () => {
  it('are 256-bit base64url strings, all different', () => {
    const tokens = new Set(Array.from({ length: 1_000 }, newToken));
    expect(tokens.size).toBe(1_000);
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    }
  });

  it('are stored only as a sha256 hash', () => {
    const t = newToken();
    const h = hashToken(t);
    expect(h).not.toContain(t);
    expect(Buffer.from(h, 'base64url')).toHaveLength(32);
    expect(hashToken(t)).toBe(h);
  });

  async function setup() {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const token = newToken();
    await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: hashToken(token), socketId: 's1' });
    return { clock, store, token };
  }

  it('resume a session once; the rotated one works, the old one never again', async () => {
    const { store, token } = await setup();
    expect((await takeSessionByToken(store, token))?.userId).toBe('u1');
    expect(await takeSessionByToken(store, token)).toBeNull();
    const next = await rotateToken(store, 'u1');
    expect(next).not.toBe(token);
    expect((await takeSessionByToken(store, next))?.userId).toBe('u1');
    expect(await takeSessionByToken(store, next)).toBeNull();
  });

  it('a wrong token is refused and does not spend the real one', async () => {
    const { store, token } = await setup();
    expect(await takeSessionByToken(store, newToken())).toBeNull();
    expect(
      await takeSessionByToken(store, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
    ).toBeNull();
    expect((await takeSessionByToken(store, token))?.userId).toBe('u1');
  });

  it('expire with the session, RESUME_WINDOW_MS after it detached', async () => {
    const { clock, store, token } = await setup();
    await store.detachSession('u1', clock.now() + 60_000);
    clock.advance(60_000);
    expect(await takeSessionByToken(store, token)).toBeNull();
  });
});
