import { afterEach, describe, expect, it } from 'vitest';
import { RESUME_WINDOW_MS } from '../../shared/src/timing.ts';
import { startServer, type TestClient, type TestServer } from './helpers.ts';

/** A flapping network at the server: 20 drops and resumes in 60 s. */
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

describe('flapping', () => {
  it('20 drops and resumes in 60 s: one roster entry under the current handle; the others see one `replaced` each, no left/joined', async () => {
    server = await startServer();
    let ann = await server.connect();
    let token = (await ann.login('Ann')).resumeToken;
    const bob = await server.connect();
    await bob.login('Bob');
    const cy = await server.connect();
    await cy.login('Cy');
    let handle = (await ann.join('r1')).handle;
    const jb = await bob.join('r1');
    const jc = await cy.join('r1');
    await ann.until(() => ann.events.length === 2, 'bob and cy joined');
    const bobFrom = bob.events.length;
    const cyFrom = cy.events.length;
    const handles = [handle];

    for (let i = 0; i < 20; i++) {
      const lastSeq = ann.lastSeq();
      const next: TestClient = await server.connect();
      if (i % 2 === 0) {
        // The socket dies and the server notices first (others see `reconnecting`).
        ann.disconnect();
        await bob.until(
          () => bob.events.some((e) => e.kind === 'status' && e.handle === handle),
          'status reconnecting',
        );
      }
      // Odd rounds: the new socket takes over while the old one still looks open.
      const closed = ann.closedByServer();
      token = (await next.resume(token)).resumeToken;
      await closed;
      const info = await next.confResume(handle, lastSeq);
      expect(info.originalHandle).toBe(handle);
      // The replay carries everything after lastSeq; the client keeps its events in order.
      if (info.replay.code === 0) next.events.push(...info.replay.events);
      handle = info.handle;
      handles.push(handle);
      ann = next;
      server.clock.advance(2_900); // 20 rounds in 58 s
    }

    await bob.settle();
    await cy.settle();
    for (const [who, client, from] of [
      ['bob', bob, bobFrom],
      ['cy', cy, cyFrom],
    ] as const) {
      const seen = client.events.slice(from);
      const replaced = seen.filter((e) => e.kind === 'replaced');
      expect(
        replaced.map((e) => [e.oldHandle, e.participant.handle]),
        who,
      ).toEqual(handles.slice(0, -1).map((h, i) => [h, handles[i + 1]]));
      expect(
        seen.filter((e) => e.kind === 'left' || e.kind === 'joined'),
        who,
      ).toEqual([]);
      // Only `status reconnecting` (the rounds where the drop was noticed) besides.
      expect(new Set(seen.map((e) => e.kind))).toEqual(new Set(['replaced', 'status']));
    }
    console.log(
      `flapping: 20 resumes in 58 s → bob saw ${bob.events.slice(bobFrom).filter((e) => e.kind === 'replaced').length} replaced, 0 left/joined`,
    );
    const roster = await server.store.members('r1');
    expect(roster.map((p) => [p.name, p.handle, p.status])).toEqual([
      ['Ann', handle, 'connected'],
      ['Bob', jb.handle, 'connected'],
      ['Cy', jc.handle, 'connected'],
    ]);
    // Every retired handle stays refused; no timer of an old one fires later.
    server.clock.advance(RESUME_WINDOW_MS * 2);
    await bob.settle();
    expect(bob.events.slice(bobFrom).filter((e) => e.kind === 'left')).toEqual([]);
    expect((await server.store.members('r1')).map((p) => p.handle)).toEqual([handle, jb.handle, jc.handle]);
    // Ann saw every event after her join exactly once, in order (live or replayed).
    const seqs = ann.events.map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  });
});
