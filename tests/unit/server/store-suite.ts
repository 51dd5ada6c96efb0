import { beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage, ConfEvent, Participant } from '../../../shared/src/payloads.ts';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import type { ConfEventInput, Store } from '../../../signaling-server/src/store/store.ts';

/**
 * The behaviour every Store must have. The in-memory store runs it; a Redis store will run
 * the same suite: `describeStore('redis', async (clock) => …)`.
 */
export function describeStore(
  name: string,
  makeStore: (
    clock: ManualClock,
    options: { maxEvents: number; maxEventBytes: number },
  ) => Promise<Store> | Store,
): void {
  describe(`Store: ${name}`, () => {
    let store: Store;
    let clock: ManualClock;
    const maxEvents = 5;
    /** Far above what the small events of the other tests take; the bytes test fills it. */
    const maxEventBytes = 4_096;

    beforeEach(async () => {
      clock = new ManualClock();
      store = await makeStore(clock, { maxEvents, maxEventBytes });
    });

    const member = (handle: number, userId = `u${handle}`): Participant => ({
      handle,
      userId,
      name: `n${handle}`,
      status: 'connected',
    });
    const chat = (room: string, id: string): ConfEventInput => ({
      kind: 'chat',
      room,
      at: clock.now(),
      message: { id, from: 1, name: 'n', text: id, at: clock.now() } satisfies ChatMessage,
    });

    describe('login sessions and tokens', () => {
      it('creates, reads, attaches, detaches and deletes a session', async () => {
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 's1' });
        expect(await store.getSession('u1')).toEqual({
          userId: 'u1',
          name: 'Ann',
          tokenHash: 'h1',
          socketId: 's1',
          expiresAt: null,
        });
        await store.detachSession('u1', clock.now() + 1_000);
        expect(await store.getSession('u1')).toMatchObject({
          socketId: null,
          expiresAt: clock.now() + 1_000,
        });
        await store.attachSession('u1', 's2');
        expect(await store.getSession('u1')).toMatchObject({ socketId: 's2', expiresAt: null });
        await store.deleteSession('u1');
        expect(await store.getSession('u1')).toBeNull();
        expect(await store.takeToken('h1')).toBeNull();
        expect(await store.getSession('nobody')).toBeNull();
      });

      it("finds the sessions attached to one process's sockets, following attach, detach and delete", async () => {
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 'nodeA/s1' });
        await store.createSession({ userId: 'u2', name: 'Bob', tokenHash: 'h2', socketId: 'nodeA/s2' });
        await store.createSession({ userId: 'u3', name: 'Cy', tokenHash: 'h3', socketId: 'nodeB/s3' });
        const sorted = async (node: string) => (await store.usersOnNode(node)).sort();
        expect(await sorted('nodeA')).toEqual(['u1', 'u2']);
        expect(await sorted('nodeB')).toEqual(['u3']);
        // A resume on another process moves the session; a lost socket detaches it.
        await store.attachSession('u1', 'nodeB/s4');
        await store.detachSession('u2', clock.now() + 1_000);
        expect(await sorted('nodeA')).toEqual([]);
        expect(await sorted('nodeB')).toEqual(['u1', 'u3']);
        await store.deleteSession('u3');
        // A new login of the same user replaces the old session and its place.
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h5', socketId: 'nodeC/s5' });
        expect(await sorted('nodeB')).toEqual([]);
        expect(await sorted('nodeC')).toEqual(['u1']);
        // Not a node prefix: "nodeC" must not match "nodeC2/…".
        await store.createSession({ userId: 'u6', name: 'Di', tokenHash: 'h6', socketId: 'nodeC2/s6' });
        expect(await sorted('nodeC')).toEqual(['u1']);
      });

      it('takes a token once (single use)', async () => {
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 's1' });
        const taken = await store.takeToken('h1');
        expect(taken).toMatchObject({ userId: 'u1', tokenHash: 'h1' });
        expect(await store.takeToken('h1')).toBeNull();
        expect((await store.getSession('u1'))?.tokenHash).toBeNull();
        const both = await Promise.all([store.takeToken('h1'), store.takeToken('h1')]);
        expect(both).toEqual([null, null]);
      });

      it('gives a concurrent double take to only one caller', async () => {
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 's1' });
        const results = await Promise.all([
          store.takeToken('h1'),
          store.takeToken('h1'),
          store.takeToken('h1'),
        ]);
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });

      it('rotates: the old token stops working, the new one works', async () => {
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 's1' });
        await store.setToken('u1', 'h2');
        expect(await store.takeToken('h1')).toBeNull();
        expect(await store.takeToken('h2')).toMatchObject({ userId: 'u1' });
      });

      it('a wrong token takes nothing', async () => {
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 's1' });
        expect(await store.takeToken('nope')).toBeNull();
        expect(await store.takeToken('h1')).toMatchObject({ userId: 'u1' });
      });

      it('a detached session and its token expire at expiresAt', async () => {
        await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 's1' });
        await store.detachSession('u1', clock.now() + 60_000);
        clock.advance(59_999);
        expect(await store.getSession('u1')).not.toBeNull();
        clock.advance(1);
        expect(await store.takeToken('h1')).toBeNull();
        expect(await store.getSession('u1')).toBeNull();
      });
    });

    describe('handles', () => {
      it('allocates unique, non-zero uint32 handles', async () => {
        const handles = new Set<number>();
        for (let i = 0; i < 200; i++) handles.add(await store.allocateHandle(`u${i % 3}`, 'r', 's'));
        expect(handles.size).toBe(200);
        for (const h of handles) {
          expect(Number.isInteger(h)).toBe(true);
          expect(h).toBeGreaterThan(0);
          expect(h).toBeLessThanOrEqual(0xffff_ffff);
        }
        const concurrent = await Promise.all(
          Array.from({ length: 50 }, () => store.allocateHandle('u', 'r', 's')),
        );
        expect(new Set([...concurrent, ...handles]).size).toBe(250);
      });

      it('records owner and room, links new → original, retires, releases, deletes', async () => {
        const h0 = await store.allocateHandle('u1', 'r1', 's1');
        expect(await store.getHandle(h0)).toEqual({
          handle: h0,
          userId: 'u1',
          room: 'r1',
          state: 'live',
          socketId: 's1',
          releaseReason: null,
          originalHandle: null,
        });
        await store.bindHandle(h0, null);
        expect((await store.getHandle(h0))?.socketId).toBeNull();
        const h1 = await store.allocateHandle('u1', 'r1', 's2');
        await store.linkHandle(h1, h0);
        await store.retireHandle(h0);
        expect(await store.getHandle(h1)).toMatchObject({ originalHandle: h0, state: 'live' });
        expect(await store.getHandle(h0)).toMatchObject({ state: 'retired' });
        await store.releaseHandle(h1, 'timeout');
        expect(await store.getHandle(h1)).toMatchObject({ state: 'released', releaseReason: 'timeout' });
        expect((await store.handlesOf('u1')).map((r) => r.handle).sort()).toEqual([h0, h1].sort());
        expect(await store.handlesOf('u2')).toEqual([]);
        await store.deleteHandle(h0);
        expect(await store.getHandle(h0)).toBeNull();
        expect((await store.handlesOf('u1')).map((r) => r.handle)).toEqual([h1]);
        expect(await store.getHandle(12_345_678)).toBeNull();
        // A deleted handle's number is not given out again.
        expect(await store.allocateHandle('u3', 'r', 's')).not.toBe(h0);
      });
    });

    describe('conferences', () => {
      it('opens once with a non-zero call id, keeps members in order, replaces in place, deletes', async () => {
        const c1 = await store.openConference('r1');
        expect(c1.callId).toBeGreaterThan(0);
        expect(await store.openConference('r1')).toEqual(c1);
        expect((await store.openConference('r2')).callId).not.toBe(c1.callId);
        await store.addMember('r1', member(1));
        await store.addMember('r1', member(2));
        await store.addMember('r1', member(3));
        await store.setMemberStatus('r1', 2, 'reconnecting');
        expect((await store.members('r1')).map((m) => [m.handle, m.status])).toEqual([
          [1, 'connected'],
          [2, 'reconnecting'],
          [3, 'connected'],
        ]);
        await store.replaceMember('r1', 2, member(9, 'u2'));
        expect((await store.members('r1')).map((m) => m.handle)).toEqual([1, 9, 3]);
        await store.removeMember('r1', 1);
        expect((await store.members('r1')).map((m) => m.handle)).toEqual([9, 3]);
        await store.deleteConference('r1');
        expect(await store.getConference('r1')).toBeNull();
        expect(await store.members('r1')).toEqual([]);
        const again = await store.openConference('r1');
        expect(again.callId).not.toBe(c1.callId);
        expect(await store.lastSeq('r1')).toBe(0);
      });

      it('numbers events 1, 2, 3… per conference with no gaps, even when appended concurrently', async () => {
        await store.openConference('r1');
        await store.openConference('r2');
        const first = await store.appendEvent('r1', chat('r1', 'a'));
        expect(first.seq).toBe(1);
        expect((await store.appendEvent('r2', chat('r2', 'a'))).seq).toBe(1);
        const many = await Promise.all(['b', 'c', 'd'].map((id) => store.appendEvent('r1', chat('r1', id))));
        expect(many.map((e) => e.seq).sort()).toEqual([2, 3, 4]);
        expect(await store.lastSeq('r1')).toBe(4);
        expect(await store.lastSeq('r2')).toBe(1);
      });

      it('eventsSince gives exactly the events after seq, in order', async () => {
        await store.openConference('r1');
        for (const id of ['a', 'b', 'c']) await store.appendEvent('r1', chat('r1', id));
        const seqs = (events: ConfEvent[] | null) => events?.map((e) => e.seq);
        expect(seqs(await store.eventsSince('r1', 0))).toEqual([1, 2, 3]);
        expect(seqs(await store.eventsSince('r1', 1))).toEqual([2, 3]);
        expect(await store.eventsSince('r1', 3)).toEqual([]);
        expect(await store.eventsSince('r1', 4)).toBeNull(); // ahead of the log
        expect(await store.eventsSince('nowhere', 0)).toBeNull();
        const [e] = (await store.eventsSince('r1', 2)) ?? [];
        expect(e).toMatchObject({ kind: 'chat', room: 'r1', seq: 3, message: { id: 'c' } });
      });

      it('keeps its events whatever callers do with what they gave or got', async () => {
        await store.openConference('r1');
        const input = chat('r1', 'a');
        const appended = await store.appendEvent('r1', input);
        const [replayed] = (await store.eventsSince('r1', 0)) ?? [];
        const scribble = (event: ConfEvent | undefined) => {
          // The memory store hands out frozen events (a write throws); Redis hands out copies.
          try {
            if (event?.kind === 'chat') event.message.text = 'changed';
          } catch (err) {
            expect(err).toBeInstanceOf(TypeError);
          }
        };
        if (input.kind === 'chat') input.message.text = 'changed';
        scribble(appended);
        scribble(replayed);
        const [kept] = (await store.eventsSince('r1', 0)) ?? [];
        expect(kept).toMatchObject({ kind: 'chat', seq: 1, message: { id: 'a', text: 'a' } });
      });

      it('returns null once the needed history was trimmed past the cap', async () => {
        await store.openConference('r1');
        for (let i = 1; i <= maxEvents + 2; i++) await store.appendEvent('r1', chat('r1', `m${i}`));
        // Kept: seq 3…7.
        expect(await store.eventsSince('r1', 0)).toBeNull();
        expect(await store.eventsSince('r1', 1)).toBeNull();
        expect((await store.eventsSince('r1', 2))?.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7]);
        expect((await store.recentChat('r1', 2)).map((m) => m.id)).toEqual(['m6', 'm7']);
        expect(await store.recentChat('r1', 100)).toHaveLength(maxEvents);
      });

      it('trims by bytes too: a few big events push the oldest out; the newest is always kept', async () => {
        await store.openConference('r1');
        const big = (id: string, n: number): ConfEventInput => {
          const e = chat('r1', id);
          return e.kind === 'chat' ? { ...e, message: { ...e.message, text: 'é'.repeat(n) } } : e;
        };
        const size = (e: ConfEventInput) => Buffer.byteLength(JSON.stringify(e));
        // Each ~1.5 KB (é is two bytes): two fit in 4 096 bytes, a third does not.
        for (let i = 1; i <= 3; i++) await store.appendEvent('r1', big(`b${i}`, 700));
        expect(size(big('b1', 700))).toBeGreaterThan(maxEventBytes / 3);
        expect(size(big('b1', 700)) * 2).toBeLessThanOrEqual(maxEventBytes);
        expect(await store.eventsSince('r1', 0)).toBeNull();
        expect((await store.eventsSince('r1', 1))?.map((e) => e.seq)).toEqual([2, 3]);
        // One event larger than the whole bound: kept alone, replayable from just before it.
        await store.appendEvent('r1', big('huge', 3_000));
        expect(await store.eventsSince('r1', 2)).toBeNull();
        expect((await store.eventsSince('r1', 3))?.map((e) => e.seq)).toEqual([4]);
        // Small events again: the big one goes once they need the room, by count or bytes.
        for (let i = 1; i <= 5; i++) await store.appendEvent('r1', chat('r1', `s${i}`));
        expect((await store.eventsSince('r1', 4))?.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9]);
      });

      it('remembers chat ids per sender and conference', async () => {
        await store.openConference('r1');
        expect(await store.chatSeq('r1', 'u1', 'm1')).toBeNull();
        await store.recordChat('r1', 'u1', 'm1', 7);
        expect(await store.chatSeq('r1', 'u1', 'm1')).toBe(7);
        expect(await store.chatSeq('r1', 'u2', 'm1')).toBeNull();
        await store.openConference('r2');
        expect(await store.chatSeq('r2', 'u1', 'm1')).toBeNull();
        await store.deleteConference('r1');
        expect(await store.chatSeq('r1', 'u1', 'm1')).toBeNull();
      });
    });
  });
}
