import { afterEach, describe, expect, it } from 'vitest';
import { dropAnn, ok, startServer, type TestServer } from './helpers.ts';

let server: TestServer;

afterEach(async () => {
  await server.close();
});

/** The value of one series in Prometheus text format (0 when the series is absent). */
function series(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2]?.split(',') ?? [];
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(match[3]);
  }
  return 0;
}

async function scrape(): Promise<string> {
  const res = await fetch(server.metricsUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

describe('/metrics', () => {
  it('is served on its own port only: the app port answers 404 (and serves no page there)', async () => {
    server = await startServer();
    expect(new URL(server.metricsUrl).port).not.toBe(new URL(server.url).port);
    for (const path of ['/metrics', '/metrics?x=1']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('signaling_');
    }
    const res = await fetch(server.metricsUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('signaling_live_sessions');
    // Nothing else lives on the metrics port.
    expect((await fetch(server.metricsUrl.replace('/metrics', '/'))).status).toBe(404);
  });

  it('counts sessions, one held-and-resumed episode, replayed events, bad input and rate limits', async () => {
    server = await startServer({ config: { rateLimit: { perGuestName: 2 } } });
    const before = await scrape();
    expect(series(before, 'signaling_live_sessions')).toBe(0);

    const { ann, bob, ja, jb } = await dropAnn(server);
    // Bob chats while Ann is away: the resume replays it (and the `status` and `replaced` events).
    ok(await bob.client.call('chat:send', { handle: jb.handle, id: 'm1', text: 'hi' }));
    const fresh = await server.connect();
    await fresh.resume(ann.session.resumeToken);
    const info = await fresh.confResume(ja.handle, ja.seq);

    // Bad input and a rate limit, each once.
    await fresh.call('chat:send', { handle: 'not a number' } as never);
    for (let i = 0; i < 3; i++) await (await server.connect()).call('login', { name: 'Flood' });

    const text = await scrape();
    expect(series(text, 'signaling_live_sessions')).toBe(4); // Bob, Ann again, 2 Flood logins
    expect(series(text, 'signaling_episodes_total', { result: 'held' })).toBe(1);
    expect(series(text, 'signaling_episodes_total', { result: 'resumed' })).toBe(1);
    expect(series(text, 'signaling_episodes_total', { result: 'timeout' })).toBe(0);
    expect(series(text, 'signaling_replayed_events_total')).toBe(
      info.replay.code === 0 ? info.replay.events.length : -1,
    );
    expect(series(text, 'signaling_replayed_events_total')).toBeGreaterThanOrEqual(2);
    expect(series(text, 'signaling_requests_total', { event: 'resume', result: 'TSDK_SUCCESS' })).toBe(1);
    expect(series(text, 'signaling_requests_total', { event: 'conf:resume', result: 'TSDK_SUCCESS' })).toBe(
      1,
    );
    expect(series(text, 'signaling_requests_total', { event: 'login', result: 'RATE_LIMITED' })).toBe(1);
    expect(series(text, 'signaling_rate_limited_total', { event: 'login' })).toBe(1);
    expect(series(text, 'signaling_bad_input_total', { kind: 'invalid payload' })).toBe(1);
    expect(series(text, 'signaling_request_duration_seconds_count', { event: 'conf:resume' })).toBe(1);
  });

  it('counts a seat released when the window runs out', async () => {
    server = await startServer();
    await dropAnn(server);
    server.clock.advance(60_000);
    await expect
      .poll(async () => series(await scrape(), 'signaling_episodes_total', { result: 'timeout' }))
      .toBe(1);
  });
});
