import { afterEach, describe, expect, it } from 'vitest';
import { LEAVE_BEACON_PATH } from '../../shared/src/http-paths.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { RESUME_WINDOW_MS } from '../../shared/src/timing.ts';
import { LEAVE_BEACON_MAX_BYTES } from '../../signaling-server/src/leave-beacon-route.ts';
import { dropAnn, guestOn, startServer, type TestServer } from './helpers.ts';

/**
 * A closing page's leave beacon (`POST /leave`, shared/src/http-paths.ts): what the browser
 * delivers when the page dies before its socket frame leaves. The session its resume token names
 * leaves every conference with reason `left` and ends at once, held seats included; anything
 * else is refused with a status and changes nothing.
 */
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

/** As `navigator.sendBeacon(url, string)` sends it: text/plain, with the page's Origin. */
async function beacon(
  body: string,
  { origin = 'http://localhost:5173', method = 'POST' }: { origin?: string; method?: string } = {},
): Promise<Response> {
  const res = await fetch(`${server.url}${LEAVE_BEACON_PATH}`, {
    method,
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin },
    ...(method === 'POST' ? { body } : {}),
  });
  await res.text();
  return res;
}

async function beaconCount(result: string): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`signaling_leave_beacons_total{result="${result}"}`));
  return Number(line?.split(' ')[1] ?? 0);
}

describe('leave beacon', () => {
  it('a live participant leaves every conference (reason left), the session ends, its socket is closed', async () => {
    server = await startServer();
    const ann = await guestOn(server, 'Ann');
    const bob = await guestOn(server, 'Bob');
    const r1 = await ann.client.join('r1');
    await bob.client.join('r1');
    const r2 = await ann.client.join('r2');
    const carl = await guestOn(server, 'Carl');
    await carl.client.join('r2');
    const closed = ann.client.closedByServer();

    // As Firefox sends it from a closing page.
    const res = await beacon(JSON.stringify({ token: ann.session.resumeToken }), { origin: 'null' });

    expect(res.status).toBe(204);
    expect(await bob.client.event('left', (e) => e.handle === r1.handle)).toMatchObject({ reason: 'left' });
    expect(await carl.client.event('left', (e) => e.handle === r2.handle)).toMatchObject({ reason: 'left' });
    expect(await closed).toBe('io server disconnect');
    expect(await server.store.getSession(ann.session.userId)).toBeNull();
    expect(await server.store.members('r1')).toEqual([expect.objectContaining({ name: 'Bob' })]);
    expect(await beaconCount('left')).toBe(1);
    // The token is spent: a second beacon, or a resume with it, is refused.
    expect((await beacon(JSON.stringify({ token: ann.session.resumeToken }))).status).toBe(403);
    const again = await server.connect();
    expect(await again.call('resume', { token: ann.session.resumeToken })).toMatchObject({
      code: ResultCode.RESUME_TOKEN_REJECTED,
    });
  });

  it('a seat already held for a resume (the socket died first) is released at once, not after the window', async () => {
    server = await startServer();
    const { ann, bob, ja } = await dropAnn(server);
    expect(bob.client.events.at(-1)?.kind).toBe('status');

    expect((await beacon(JSON.stringify({ token: ann.session.resumeToken }))).status).toBe(204);

    expect(await bob.client.event('left', (e) => e.handle === ja.handle)).toMatchObject({ reason: 'left' });
    // The hold's deadline was cancelled: nothing more happens when the window would have ended.
    const seen = bob.client.events.length;
    server.clock.advance(RESUME_WINDOW_MS);
    await bob.client.settle();
    expect(bob.client.events.length).toBe(seen);
    expect(await server.store.getSession(ann.session.userId)).toBeNull();
  });

  it('refuses what is not a beacon of a session, and the session is untouched', async () => {
    server = await startServer();
    const { client, session } = await guestOn(server, 'Ann');
    const { handle } = await client.join('r1');
    const good = JSON.stringify({ token: session.resumeToken });

    expect((await beacon(good, { method: 'GET' })).status).toBe(405);
    expect((await beacon('not json')).status).toBe(400);
    expect((await beacon(JSON.stringify({ token: session.resumeToken, extra: 1 }))).status).toBe(400);
    expect((await beacon(JSON.stringify({ token: 'x'.repeat(LEAVE_BEACON_MAX_BYTES) }))).status).toBe(413);
    // Another site's page may post here (Firefox sends a closing page's beacon with `Origin:
    // null`, so there is no allowlist), but without the token it ends nothing.
    expect(
      (await beacon(JSON.stringify({ token: 'A'.repeat(43) }), { origin: 'http://evil.example' })).status,
    ).toBe(403);

    expect(await beaconCount('rejected')).toBe(1);
    expect(await server.store.getSession(session.userId)).not.toBeNull();
    expect(await server.store.members('r1')).toEqual([expect.objectContaining({ handle })]);
    expect(client.socket.connected).toBe(true);
    // The real token still works.
    expect((await beacon(good)).status).toBe(204);
  });

  it('spends the per-address resume budget: token guessing is no cheaper here than by resume', async () => {
    server = await startServer({ config: { rateLimit: { resumePerAddress: 2 } } });
    const guess = JSON.stringify({ token: 'B'.repeat(43) });
    expect((await beacon(guess)).status).toBe(403);
    expect((await beacon(guess)).status).toBe(403);
    const limited = await beacon(guess);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same budget as `resume`: that is refused now too.
    const client = await server.connect();
    expect(await client.call('resume', { token: 'B'.repeat(43) })).toMatchObject({
      code: ResultCode.RATE_LIMITED,
    });
    expect(await beaconCount('rate-limited')).toBe(1);
  });
});
