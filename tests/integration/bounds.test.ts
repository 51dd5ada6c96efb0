import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { LIMITS } from '../../shared/src/timing.ts';
import {
  dropAnn,
  eventually,
  guestOn,
  ok,
  startServer,
  type TestClient,
  type TestServer,
  UNLIMITED_QUOTAS,
} from './helpers.ts';

/**
 * Bounded memory under a flood (issue 12): the event log in bytes, a receiver that stops
 * reading, sessions per address, conferences per session; and the security headers on every
 * HTTP answer.
 */
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

/** Stops reading the socket's TCP connection: the server's writes pile up. */
function stopReading(client: TestClient): void {
  const engine = client.socket.io.engine as unknown as {
    transport: { ws?: { _socket?: { pause(): void } } };
  };
  const raw = engine.transport.ws?._socket;
  if (!raw) throw new Error('no raw socket to pause');
  raw.pause();
}

describe('a receiver that stops reading', () => {
  it('is disconnected once its outbound buffer passes the bound; the sender and the others go on', async () => {
    const bound = 256 * 1024;
    // Megabytes of relays from one sender, on purpose: past its signal byte quota.
    server = await startServer({
      config: { memory: { outboundBufferMaxBytes: bound }, quotas: UNLIMITED_QUOTAS },
    });
    const ann = await guestOn(server, 'Ann');
    const bob = await guestOn(server, 'Bob');
    const cy = await guestOn(server, 'Cy');
    const ja = await ann.client.join('r1');
    const jb = await bob.client.join('r1');
    await cy.client.join('r1');
    stopReading(bob.client);
    // The largest legitimate relay, again and again: the kernel's buffers fill first (a few MB
    // on loopback), then the server's, up to the bound.
    const sdp = 'a'.repeat(LIMITS.signalBytes - 100);
    let sent = 0;
    const tripped = () => server.logs.some((l) => l.msg === 'disconnected: stopped reading');
    while (!tripped() && sent < 2_000) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, () =>
          ann.client.call('signal', { from: ja.handle, to: jb.handle, data: { type: 'offer', sdp } }),
        ),
      );
      sent += batch.length;
    }
    console.log(
      `slow receiver: disconnected after ${sent} relays of ${sdp.length} bytes (bound ${bound} bytes)`,
    );
    expect(tripped()).toBe(true);
    const line = server.logs.find((l) => l.msg === 'disconnected: stopped reading');
    expect(line?.bytes).toBeGreaterThan(bound);
    // Bob's seat is held as after any lost connection; Ann and Cy carry on.
    await cy.client.event('status', (e) => e.handle === jb.handle);
    ok(await ann.client.call('chat:send', { handle: ja.handle, id: 'after', text: 'still here' }));
    await cy.client.event('chat', (e) => e.message.id === 'after');
    const metrics = await (await fetch(server.metricsUrl)).text();
    expect(metrics).toContain('signaling_slow_receivers_total 1');
  });
});

describe('the event log is bounded in bytes', () => {
  it('a resume needing history trimmed by size gets REPLAY_UNAVAILABLE with recent chat', async () => {
    server = await startServer({ store: { maxEventBytesPerConference: 16 * 1024 } });
    const { ann, bob, ja, jb, annLastSeq } = await dropAnn(server);
    // 8 messages of ~3.9 KB: more than 16 KB of log.
    for (let i = 0; i < 8; i++) {
      ok(await bob.client.call('chat:send', { handle: jb.handle, id: `big${i}`, text: 'x'.repeat(3_900) }));
    }
    const s2 = await server.connect();
    await s2.resume(ann.session.resumeToken);
    const info = await s2.confResume(ja.handle, annLastSeq);
    expect(info.replay.code).toBe(ResultCode.REPLAY_UNAVAILABLE);
    const chat = info.replay.code !== 0 ? info.replay.chat : [];
    expect(chat.length).toBeGreaterThan(0);
    expect(chat.at(-1)?.id).toBe('big7');
  });
});

describe('sessions per address, conferences per session', () => {
  it('the address full: login and resume RATE_LIMITED (the token not spent) until a session goes', async () => {
    server = await startServer({ config: { memory: { sessionsPerAddress: 3 } } });
    const sessions = [];
    for (const name of ['A', 'B', 'C']) sessions.push(await guestOn(server, name));
    const d = await server.connect();
    const refused = await d.call('login', { name: 'D' });
    expect(refused).toMatchObject({ code: ResultCode.RATE_LIMITED });
    expect(refused.code !== 0 && refused.message).toMatch(/too many sessions from this address/);
    // A resume from the full address is refused without spending the token.
    const a = sessions[0] as (typeof sessions)[number];
    const resumer = await server.connect();
    expect((await resumer.call('resume', { token: a.session.resumeToken })).code).toBe(
      ResultCode.RATE_LIMITED,
    );
    // B logs out, C's socket drops: two places free.
    ok(await (sessions[1] as (typeof sessions)[number]).client.call('logout', {}));
    (sessions[2] as (typeof sessions)[number]).client.disconnect();
    await eventually(async () => (await d.call('login', { name: 'D' })).code === 0);
    // The token presented while full still works (A's socket is replaced by the resume).
    expect((await resumer.resume(a.session.resumeToken)).userId).toBe(a.session.userId);
    const metrics = await (await fetch(server.metricsUrl)).text();
    expect(metrics).toMatch(/signaling_address_limited_total [1-9]/);
  });

  it(`a session sits in at most 4 conferences at once`, async () => {
    server = await startServer();
    const { client } = await guestOn(server, 'Hopper');
    const handles = [];
    for (let i = 0; i < 4; i++) handles.push((await client.join(`room${i}`)).handle);
    const refused = await client.call('conf:join', { room: 'room4' });
    expect(refused).toMatchObject({ code: ResultCode.CONF_JOIN_REFUSED });
    ok(await client.call('conf:leave', { handle: handles[0] as number }));
    ok(await client.call('conf:join', { room: 'room4' }));
  });
});

describe('security headers', () => {
  const EXPECTED = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'permissions-policy': 'camera=(self), microphone=(self)',
  };

  it('on every answer of the app port (page, /healthz, 404, long-polling) and of the metrics port', async () => {
    server = await startServer();
    const host = new URL(server.url).host;
    const answers = await Promise.all(
      [
        `${server.url}/`,
        `${server.url}/?room=r&name=n`,
        `${server.url}/healthz`,
        `${server.url}/metrics`,
        `${server.url}/missing.js`,
        `${server.url}/socket.io/?EIO=4&transport=polling`,
        server.metricsUrl,
      ].map(async (url) => {
        const res = await fetch(url);
        await res.text();
        return { url, res };
      }),
    );
    for (const { url, res } of answers) {
      for (const [name, value] of Object.entries(EXPECTED))
        expect(res.headers.get(name), `${url} ${name}`).toBe(value);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-powered-by'), url).toBeNull();
      expect(res.headers.get('server'), url).toBeNull();
    }
    // The page's own host, for its WebSocket, where the request named one.
    const page = answers[0]?.res.headers.get('content-security-policy') ?? '';
    expect(page).toContain(`connect-src 'self' ws://${host} wss://${host}`);
    expect(page).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});
