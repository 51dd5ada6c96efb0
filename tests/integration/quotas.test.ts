import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode, resultCodeName } from '../../shared/src/result-codes.ts';
import type { SignalRequest } from '../../shared/src/schemas.ts';
import { LIMITS } from '../../shared/src/timing.ts';
import { DEFAULT_QUOTAS } from '../../signaling-server/src/quotas.ts';
import { guestOn, ok, startServer, type TestClient, type TestServer } from './helpers.ts';

/**
 * Per-session token buckets on every client event (issue 12), on the ManualClock: refills are
 * window arithmetic, never sleeps. Default quotas unless a test says otherwise.
 */
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

function tally(codes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const code of codes) out[resultCodeName(code)] = (out[resultCodeName(code)] ?? 0) + 1;
  return out;
}

async function pair() {
  const ann = await guestOn(server, 'Ann');
  const bob = await guestOn(server, 'Bob');
  const ja = await ann.client.join('r1');
  const jb = await bob.client.join('r1');
  return { ann, bob, ja, jb };
}

const chat = (c: TestClient, handle: number, id: string, text = id) =>
  c.call('chat:send', { handle, id, text });

describe('chat quota', () => {
  const { burst, perMinute } = DEFAULT_QUOTAS.chat;
  const refillMs = 60_000 / perMinute;

  it(`a script flooding chat: ${burst} pass at once, then RATE_LIMITED with retryAfterMs; one more per ${refillMs} ms`, async () => {
    server = await startServer();
    const { ann, bob, ja } = await pair();
    const replies = await Promise.all(
      Array.from({ length: 80 }, (_, i) => chat(ann.client, ja.handle, `m${i}`)),
    );
    expect(tally(replies.map((r) => r.code))).toEqual({ TSDK_SUCCESS: burst, RATE_LIMITED: 80 - burst });
    expect(replies.at(-1)).toMatchObject({ code: ResultCode.RATE_LIMITED, retryAfterMs: refillMs });
    // Refused messages were not posted: Bob saw the burst only.
    await bob.client.settle();
    expect(bob.client.events.filter((e) => e.kind === 'chat')).toHaveLength(burst);

    server.clock.advance(refillMs - 1);
    expect(await chat(ann.client, ja.handle, 'early')).toMatchObject({
      code: ResultCode.RATE_LIMITED,
      retryAfterMs: 1,
    });
    server.clock.advance(1);
    ok(await chat(ann.client, ja.handle, 'on time'));
    expect((await chat(ann.client, ja.handle, 'next')).code).toBe(ResultCode.RATE_LIMITED);
    // A minute later the whole burst is back.
    server.clock.advance(60_000);
    const again = await Promise.all(
      Array.from({ length: burst }, (_, i) => chat(ann.client, ja.handle, `n${i}`)),
    );
    expect(again.every((r) => r.code === 0)).toBe(true);
    // The refusals did not count as sending: Bob's own chat is unaffected.
    expect(server.logs.filter((l) => l.msg === 'quota exceeded')).toHaveLength(2);
  });

  it('a person typing fast (a message a second for a minute, after a pasted burst) is never refused', async () => {
    server = await startServer();
    const { ann, ja } = await pair();
    const codes: number[] = [];
    for (let i = 0; i < 20; i++) codes.push((await chat(ann.client, ja.handle, `paste${i}`)).code);
    for (let i = 0; i < 60; i++) {
      server.clock.advance(1_000);
      codes.push((await chat(ann.client, ja.handle, `typed${i}`)).code);
    }
    expect(tally(codes)).toEqual({ TSDK_SUCCESS: 80 });
  });

  it('a session that ignores retryAfterMs is told why and disconnected; the others go on', async () => {
    server = await startServer({ config: { quotas: { disconnectAfter: 20 } } });
    const { ann, bob, ja, jb } = await pair();
    const posted = await Promise.all(
      Array.from({ length: burst }, (_, i) => chat(ann.client, ja.handle, `m${i}`)),
    );
    expect(posted.every((r) => r.code === 0)).toBe(true);
    const closed = ann.client.closedByServer();
    // 20 refusals in a row are answered; the 21st also says it is the last.
    const replies = await Promise.all(
      Array.from({ length: 21 }, (_, i) => chat(ann.client, ja.handle, `x${i}`)),
    );
    expect(tally(replies.map((r) => r.code))).toEqual({ RATE_LIMITED: 21 });
    const message = (r: (typeof replies)[number] | undefined) => (r && r.code !== 0 ? r.message : '');
    expect(message(replies[19])).not.toMatch(/disconnected/);
    expect(message(replies.at(-1))).toMatch(/kept sending past the quota, disconnected/);
    expect(await closed).toBe('io server disconnect');
    const metrics = await (await fetch(server.metricsUrl)).text();
    expect(metrics).toContain('signaling_quota_disconnects_total{quota="chat"} 1');
    // Her seat is held like after any lost connection; Bob chats on.
    expect((await bob.client.event('status')).handle).toBe(ja.handle);
    ok(await chat(bob.client, jb.handle, 'still here'));
  });
});

describe('reading paused for a sender that ignores retryAfterMs', () => {
  /** A ping's round trip on this client, in wall-clock ms (the pause is real time: it is TCP's). */
  async function pingMs(c: TestClient): Promise<number> {
    const started = performance.now();
    ok(await c.call('ping', {}));
    return performance.now() - started;
  }

  it('after slowReadingAfter refusals in a row its next event is read only when a token is due; others are untouched', async () => {
    // 600 a minute: a token every 100 ms, so the pause is 100 ms of real time.
    server = await startServer({
      config: { quotas: { chat: { burst: 1, perMinute: 600 }, slowReadingAfter: 3 } },
    });
    const { ann, bob, ja, jb } = await pair();
    ok(await chat(ann.client, ja.handle, 'first'));
    // Two refusals: a burst a person could make. Not paused.
    for (const id of ['x1', 'x2'])
      expect((await chat(ann.client, ja.handle, id)).code).toBe(ResultCode.RATE_LIMITED);
    expect(await pingMs(ann.client)).toBeLessThan(60);
    // The third in a row: the server stops reading Ann until her next token (100 ms). The reply
    // still comes at once (writing is not paused); what she sends next waits in TCP.
    expect(await chat(ann.client, ja.handle, 'x3')).toMatchObject({
      code: ResultCode.RATE_LIMITED,
      retryAfterMs: 100,
    });
    const paused = pingMs(ann.client);
    expect(await pingMs(bob.client)).toBeLessThan(60);
    expect(await paused).toBeGreaterThanOrEqual(80);
    const metrics = await (await fetch(server.metricsUrl)).text();
    expect(metrics).toContain('signaling_read_pauses_total 1');
    // Nothing was lost: she is read again, in order, and her chat passes once a token is due.
    server.clock.advance(100);
    ok(await chat(ann.client, ja.handle, 'after'));
    await bob.client.until(() =>
      bob.client.events.some((e) => e.kind === 'chat' && e.message.id === 'after'),
    );
    ok(await chat(bob.client, jb.handle, 'bob too'));
  });
});

describe('signal quota', () => {
  /** A 16-person mesh: `n` guests in one room, each with its handle. */
  async function mesh(n: number) {
    const people = [];
    for (let i = 0; i < n; i++) people.push(await guestOn(server, `P${i}`));
    const handles = [];
    for (const p of people) handles.push((await p.client.join('mesh')).handle);
    return { people, handles };
  }

  const candidate = (i: number): SignalRequest['data'] => ({
    type: 'candidate',
    candidate: {
      candidate: `candidate:${i} 1 udp 2122260223 192.168.1.${i % 250} ${50_000 + i} typ host generation 0`,
      sdpMLineIndex: 0,
      sdpMid: '0',
    },
  });
  const sdp = `v=0\r\n${'a=x-filler:0123456789abcdef0123456789abcdef\r\n'.repeat(120)}`;

  /**
   * What one participant sends each peer when its network changed (ARCHITECTURE.md, media
   * recovery): the offer (or the answer), ~20 candidates, `restart`, `probe` and `probe-ack`,
   * `media-outage`, `keyframe`, and 2.5 s of `media-check`/`media-check-ack` at 250 ms.
   */
  function iceRestartTo(peer: number): SignalRequest['data'][] {
    return [
      { type: 'restart', rebuild: false },
      { type: 'probe', id: peer, pathsOk: false },
      { type: 'probe-ack', id: peer, pathsOk: false, resuming: false, owner: 'me' },
      { type: 'media-outage', owner: 'me' },
      { type: 'offer', sdp },
      { type: 'answer', sdp },
      ...Array.from({ length: 20 }, (_, i) => candidate(i)),
      { type: 'keyframe' },
      ...Array.from({ length: 10 }, (_, i) => ({ type: 'media-check' as const, id: i })),
      ...Array.from({ length: 10 }, (_, i) => ({ type: 'media-check-ack' as const, id: i, flowing: i > 5 })),
    ];
  }

  it('a 16-person mesh restarting ICE after a network change: every participant to its 15 peers at once, all pass', async () => {
    server = await startServer();
    const { people, handles } = await mesh(LIMITS.participantsPerConference);
    const perParticipant = iceRestartTo(0).length * 15;
    expect(perParticipant).toBeGreaterThanOrEqual(700);
    const started = Date.now();
    // The clock does not move: the whole restart is one burst.
    const codes = (
      await Promise.all(
        people.map(({ client }, i) =>
          Promise.all(
            handles
              .filter((_, j) => j !== i)
              .flatMap((to) =>
                iceRestartTo(to).map((data) =>
                  client.call('signal', { from: handles[i] as number, to, data }),
                ),
              ),
          ),
        ),
      )
    )
      .flat()
      .map((r) => r.code);
    console.log(
      `16-person ICE restart burst: ${codes.length} relays (${perParticipant} per participant) → ${JSON.stringify(tally(codes))} in ${Date.now() - started} ms wall`,
    );
    expect(tally(codes)).toEqual({ TSDK_SUCCESS: 16 * perParticipant });
    // Each participant received everything its 15 peers sent it.
    const last = people.at(-1)?.client as TestClient;
    await last.until(() => last.signals.length === perParticipant, 'all relays', 10_000);
  });

  it('then a media recovery that lasts: media-check at 250 ms and a restart every 750 ms to 15 peers for 10 s, all pass', async () => {
    server = await startServer();
    const { people, handles } = await mesh(LIMITS.participantsPerConference);
    const me = people[0]?.client as TestClient;
    const from = handles[0] as number;
    const peers = handles.slice(1);
    const burst = await Promise.all(
      peers.flatMap((to) => iceRestartTo(to).map((data) => me.call('signal', { from, to, data }))),
    );
    const codes = burst.map((r) => r.code);
    for (let tick = 1; tick <= 40; tick++) {
      server.clock.advance(250);
      const round: SignalRequest['data'][] = [
        { type: 'media-check', id: tick },
        { type: 'media-check-ack', id: tick, flowing: false },
      ];
      if (tick % 3 === 0)
        round.push(
          { type: 'restart', rebuild: false },
          { type: 'offer', sdp },
          candidate(1),
          candidate(2),
          candidate(3),
          candidate(4),
          candidate(5),
        );
      const replies = await Promise.all(
        peers.flatMap((to) => round.map((data) => me.call('signal', { from, to, data }))),
      );
      codes.push(...replies.map((r) => r.code));
    }
    console.log(
      `16-person recovery, one participant over 10 s: ${codes.length} relays → ${JSON.stringify(tally(codes))}`,
    );
    expect(tally(codes)).toEqual({ TSDK_SUCCESS: codes.length });
  });

  it('a relay flood: the burst, then the sustained rate, each refusal RATE_LIMITED with retryAfterMs', async () => {
    server = await startServer({ config: { quotas: { signal: { burst: 100, perMinute: 6_000 } } } });
    const { ann, ja, jb } = await pair();
    const data = { type: 'keyframe' } as const;
    const codes = (
      await Promise.all(
        Array.from({ length: 150 }, () =>
          ann.client.call('signal', { from: ja.handle, to: jb.handle, data }),
        ),
      )
    ).map((r) => r.code);
    expect(tally(codes)).toEqual({ TSDK_SUCCESS: 100, RATE_LIMITED: 50 });
    const refused = await ann.client.call('signal', { from: ja.handle, to: jb.handle, data });
    expect(refused).toMatchObject({ code: ResultCode.RATE_LIMITED, retryAfterMs: 10 });
    server.clock.advance(100);
    const later = await Promise.all(
      Array.from({ length: 12 }, () => ann.client.call('signal', { from: ja.handle, to: jb.handle, data })),
    );
    expect(tally(later.map((r) => r.code))).toEqual({ TSDK_SUCCESS: 10, RATE_LIMITED: 2 });
  });
});

describe('signal byte quota', () => {
  it('maximal offers from one sender: the byte burst, then 256 KiB a second, however few relays that is', async () => {
    server = await startServer();
    const { ann, bob, ja, jb } = await pair();
    const sdp = 'a'.repeat(LIMITS.signalBytes - 100);
    const send = () =>
      ann.client.call('signal', { from: ja.handle, to: jb.handle, data: { type: 'offer', sdp } });
    const codes = (await Promise.all(Array.from({ length: 60 }, send))).map((r) => r.code);
    const { burst, perMinute } = DEFAULT_QUOTAS.signalBytes;
    const size = JSON.stringify({ type: 'offer', sdp }).length;
    const fit = Math.floor(burst / size);
    expect(tally(codes)).toEqual({ TSDK_SUCCESS: fit, RATE_LIMITED: 60 - fit });
    const refused = await send();
    expect(refused.code).toBe(ResultCode.RATE_LIMITED);
    const wait = refused.code !== 0 ? (refused.retryAfterMs ?? 0) : 0;
    expect(wait).toBe(Math.ceil((size - (burst - fit * size)) / (perMinute / 60_000)));
    server.clock.advance(wait);
    ok(await send());
    await bob.client.settle();
    expect(bob.client.signals).toHaveLength(fit + 1);
  });
});

describe('control quota (join, leave, ping, …)', () => {
  it('a join/leave loop is held to the quota; a refusal is RATE_LIMITED and the session lives', async () => {
    server = await startServer();
    const { burst, perMinute } = DEFAULT_QUOTAS.control;
    const { ann } = await pair();
    // `conf:join` spent one of the session's burst (`login` counted on the socket's own bucket).
    const codes: number[] = [];
    for (let i = 0; i < burst; i++) {
      const reply = await ann.client.call('conf:join', { room: `loop${i % 2}` });
      codes.push(reply.code);
      if (reply.code === 0) codes.push((await ann.client.call('conf:leave', { handle: reply.handle })).code);
    }
    const figures = tally(codes);
    expect(figures.TSDK_SUCCESS).toBe(burst - 1);
    expect(figures.RATE_LIMITED).toBeGreaterThan(0);
    const refused = await ann.client.call('ping', {});
    expect(refused).toMatchObject({ code: ResultCode.RATE_LIMITED, retryAfterMs: 60_000 / perMinute });
    server.clock.advance(60_000 / perMinute);
    ok(await ann.client.call('ping', {}));
  });
});
