import { describe, expect, it } from 'vitest';
import type { ConfEvent } from '../../shared/src/payloads.ts';
import type { ConfResumeInfo } from '../../shared/src/protocol.ts';
import { ok, startServer, type TestClient, type TestServer, UNLIMITED_QUOTAS } from './helpers.ts';

/**
 * Nothing lost (spec §6): Ann is away for 5, 30 or 59 s (ManualClock) while the others post
 * 1 000 chat messages and make 200 roster changes (joins, leaves, drops, resumes); the others
 * keep posting while she resumes; then her outbox sends 50 messages, each twice (a retry).
 */
const CHAT = 1_000;
const OUTBOX = 50;

async function scenario(gapMs: number) {
  // 1 000 chats from one sender on a clock that never moves: far past the chat quota on purpose.
  const server: TestServer = await startServer({ config: { quotas: UNLIMITED_QUOTAS } });
  try {
    const connect = async (name: string) => {
      const c = await server.connect();
      return { c, session: await c.login(name) };
    };
    const ann = await connect('Ann');
    const bob = await connect('Bob');
    const cy = await connect('Cy');
    let dee = await connect('Dee');
    const movers = await Promise.all(['Eve', 'Fay', 'Gil'].map(connect));
    const ja = await ann.c.join('r1');
    const jb = await bob.c.join('r1');
    const jc = await cy.c.join('r1');
    let deeHandle = (await dee.c.join('r1')).handle;
    await ann.c.until(() => ann.c.events.length === 3, 'everyone joined');
    const lastSeq = ann.c.lastSeq();
    ann.c.disconnect();
    await bob.c.until(() => bob.c.events.some((e) => e.kind === 'status'), 'ann reconnecting');

    // The gap: 1 000 chat messages and 200 roster changes, interleaved, in 20 steps of time.
    const steps = 20;
    let posted = 0;
    let roster = 0;
    const poster = (i: number) => (i % 2 === 0 ? bob : cy);
    const handleOf = (i: number) => (i % 2 === 0 ? jb.handle : jc.handle);
    for (let step = 0; step < steps; step++) {
      const chats = Array.from({ length: CHAT / steps }, (_, k) => posted + k).map((i) =>
        poster(i).c.call('chat:send', { handle: handleOf(i), id: `o${i}`, text: `other ${i}` }),
      );
      posted += CHAT / steps;
      // 10 roster changes per step: 3 movers join and leave (6), Dee drops and resumes (2 + 2).
      const moves = movers.map(async (m) => {
        const j = await m.c.join('r1');
        ok(await m.c.call('conf:leave', { handle: j.handle }));
      });
      dee.c.disconnect();
      await bob.c.until(
        () => bob.c.events.some((e) => e.kind === 'status' && e.handle === deeHandle),
        'dee reconnecting',
      );
      const next = await server.connect();
      await next.resume(dee.session.resumeToken).then((s) => {
        dee.session = s;
      });
      deeHandle = (await next.confResume(deeHandle, 0)).handle;
      dee = { c: next, session: dee.session };
      // A second drop + resume is two more changes: 6 + 2 + 2 = 10 per step.
      dee.c.disconnect();
      await bob.c.until(
        () => bob.c.events.some((e) => e.kind === 'status' && e.handle === deeHandle),
        'dee reconnecting',
      );
      const again = await server.connect();
      dee.session = await again.resume(dee.session.resumeToken);
      deeHandle = (await again.confResume(deeHandle, 0)).handle;
      dee = { c: again, session: dee.session };
      await Promise.all([...chats, ...moves]);
      roster += 10;
      server.clock.advance(gapMs / steps - 1);
    }
    expect(roster).toBe(200);

    // Ann resumes with her lastSeq while Bob and Cy keep posting: their messages race her
    // conf:resume for the conference lock, so some land in her replay and some reach her live.
    const s2: TestClient = await server.connect();
    await s2.resume(ann.session.resumeToken);
    const during = Array.from({ length: 100 }, (_, i) =>
      poster(i).c.call('chat:send', { handle: handleOf(i), id: `d${i}`, text: `during ${i}` }),
    );
    const info: ConfResumeInfo = await s2.confResume(ja.handle, lastSeq);
    const liveBeforeOutbox = s2.events.length;
    // Her outbox: 50 messages, each sent twice (the first ack "lost"), all pipelined.
    const outbox = Array.from({ length: OUTBOX }, (_, i) => ({ id: `a${i}`, text: `ann ${i}` }));
    const sends = outbox.flatMap((m) => [
      s2.call('chat:send', { handle: info.handle, ...m }),
      s2.call('chat:send', { handle: info.handle, ...m }),
    ]);
    const acks = (await Promise.all(sends)).map((r) => ok(r).seq);
    await Promise.all(during);
    for (const c of [s2, bob.c, cy.c]) await c.settle();

    // The server's log after lastSeq, and what Ann got: replay + live.
    const log = (await server.store.eventsSince('r1', lastSeq)) as ConfEvent[];
    expect(log).not.toBeNull();
    expect(info.replay.code).toBe(0);
    const replay = info.replay.code === 0 ? info.replay.events : [];
    const annSaw = [...replay, ...s2.events];
    const chatIds = (events: ConfEvent[], from?: number) =>
      events.flatMap((e) =>
        e.kind === 'chat' && (from === undefined || e.message.from === from) ? [e.message.id] : [],
      );
    const annIds = outbox.map((m) => m.id);
    const figures = {
      gapMs,
      serverEventsAfterLastSeq: log.length,
      replayed: replay.length,
      live: s2.events.length,
      liveOfOthersDuringResume: liveBeforeOutbox,
      lost: log.length - new Set(annSaw.map((e) => e.seq)).size,
      duplicated: annSaw.length - new Set(annSaw.map((e) => e.seq)).size,
      annMessagesInLog: chatIds(log, info.handle).length,
      bobSawAnn: chatIds(bob.c.events, info.handle).length,
      cySawAnn: chatIds(cy.c.events, info.handle).length,
    };
    console.log(`gap ${gapMs / 1000} s: ${JSON.stringify(figures)}`);

    // Exactly the server log after lastSeq, in order, once.
    expect(annSaw).toEqual(log);
    // The chats and roster changes of the gap are all there.
    expect(chatIds(log).filter((id) => id.startsWith('o'))).toHaveLength(CHAT);
    expect(log.filter((e) => e.kind !== 'chat').length).toBeGreaterThanOrEqual(200);
    // Each of Ann's 50 posted once, in order; both sends of one message got the same seq.
    expect(chatIds(log, info.handle)).toEqual(annIds);
    for (let i = 0; i < OUTBOX; i++) expect(acks[2 * i]).toBe(acks[2 * i + 1]);
    // Every other participant saw each of the 50 exactly once, in the same order.
    expect(chatIds(bob.c.events, info.handle)).toEqual(annIds);
    expect(chatIds(cy.c.events, info.handle)).toEqual(annIds);
    // And Bob's own view has no gap and no duplicate since he joined.
    const bobSeqs = bob.c.events.map((e) => e.seq);
    const firstBob = bobSeqs[0] ?? 0;
    expect(bobSeqs).toEqual(Array.from({ length: bobSeqs.length }, (_, i) => firstBob + i));
  } finally {
    await server.close();
  }
}

describe('nothing lost across a gap', () => {
  for (const gapS of [5, 30, 59]) {
    it(`${gapS} s away: 1 000 chats + 200 roster changes; replay + live = the server log; 50 retried messages once each`, async () => {
      await scenario(gapS * 1_000);
    });
  }
});
