import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { IceServer } from '../../shared/src/protocol.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import type { IceSettings } from '../../signaling-server/src/config.ts';
import { startServer, type TestServer } from './helpers.ts';

/** Spec §10: every login and every resume carries the ICE configuration, with fresh TURN credentials. */

const SECRET = 'integration-turn-secret-7f3a9c';
const STUN = ['stun:stun.example.com:3478'];
const TURN = ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443?transport=tcp'];
const WITH_TURN: Partial<IceSettings> = { stunUrls: STUN, turn: { urls: TURN, secret: SECRET, ttlS: 600 } };

let server: TestServer;

afterEach(async () => {
  await server?.close();
});

/** The TURN entry, checked the way coturn checks it. */
function turnEntry(iceServers: IceServer[], userId: string, nowMs: number) {
  const turn = iceServers.find((s) => s.credential !== undefined);
  expect(turn?.urls).toEqual(TURN);
  const [expiry, user] = (turn?.username ?? '').split(':');
  expect(user).toBe(userId);
  expect(Number(expiry)).toBe(Math.floor(nowMs / 1_000) + 600);
  expect(turn?.credential).toBe(
    createHmac('sha1', SECRET)
      .update(turn?.username ?? '')
      .digest('base64'),
  );
  return { username: turn?.username ?? '', credential: turn?.credential ?? '', expiry: Number(expiry) };
}

describe('ICE configuration in login and resume replies', () => {
  it('login: STUN without credentials, TURN with a valid HMAC for that user; no policy field', async () => {
    server = await startServer({ config: { ice: WITH_TURN } });
    const { clock } = server;
    const ann = await server.connect();
    const session = await ann.login('Ann');
    expect(session.iceServers).toHaveLength(2);
    expect(session.iceServers[0]).toEqual({ urls: STUN });
    turnEntry(session.iceServers, session.userId, clock.now());
    expect(session).not.toHaveProperty('iceTransportPolicy');

    const bob = await server.connect();
    const other = await bob.login('Bob');
    expect(turnEntry(other.iceServers, other.userId, clock.now()).username).not.toBe(
      turnEntry(session.iceServers, session.userId, clock.now()).username,
    );
  });

  it('resume: new credentials with a later expiry, for the same user', async () => {
    server = await startServer({ config: { ice: WITH_TURN } });
    const { clock } = server;
    const first = await server.connect();
    const session = await first.login('Ann');
    const before = turnEntry(session.iceServers, session.userId, clock.now());

    first.disconnect();
    clock.advance(30_000);
    const second = await server.connect();
    const resumed = await second.resume(session.resumeToken);
    const after = turnEntry(resumed.iceServers, session.userId, clock.now());
    expect(after.expiry).toBe(before.expiry + 30);
    expect(after.credential).not.toBe(before.credential);
    expect(resumed.iceServers[0]).toEqual({ urls: STUN });

    // And again on the next resume.
    second.disconnect();
    clock.advance(1_000);
    const third = await server.connect();
    const again = await third.resume(resumed.resumeToken);
    expect(turnEntry(again.iceServers, session.userId, clock.now()).expiry).toBe(after.expiry + 1);
  });

  it('ice:refresh: fresh credentials on the same socket for a meeting that outlives them; refused before login', async () => {
    server = await startServer({ config: { ice: WITH_TURN } });
    const { clock } = server;
    const ann = await server.connect();
    expect(await ann.call('ice:refresh', {})).toMatchObject({ code: ResultCode.NOT_LOGGED_IN });
    const session = await ann.login('Ann');
    const before = turnEntry(session.iceServers, session.userId, clock.now());
    clock.advance(500_000);
    const reply = await ann.call('ice:refresh', {});
    if (reply.code !== 0) throw new Error(reply.message);
    const after = turnEntry(reply.iceServers, session.userId, clock.now());
    expect(after.expiry).toBe(before.expiry + 500);
  });

  it('no TURN configured: `iceServers` is empty (or STUN only), with no policy field', async () => {
    server = await startServer();
    const a = await server.connect();
    const plain = await a.login('Ann');
    expect(plain.iceServers).toEqual([]);
    expect(plain).not.toHaveProperty('iceTransportPolicy');
    a.disconnect();
    const b = await server.connect();
    const resumed = await b.resume(plain.resumeToken);
    expect(resumed.iceServers).toEqual([]);
    expect(resumed).not.toHaveProperty('iceTransportPolicy');
    await server.close();

    server = await startServer({ config: { ice: { stunUrls: STUN } } });
    const c = await server.connect();
    const stunOnly = await c.login('Cy');
    expect(stunOnly.iceServers).toEqual([{ urls: STUN }]);
    expect(stunOnly).not.toHaveProperty('iceTransportPolicy');
  });

  it('passes the relay policy through, in login and resume', async () => {
    server = await startServer({ config: { ice: { ...WITH_TURN, policy: 'relay' } } });
    const a = await server.connect();
    const session = await a.login('Ann');
    expect(session.iceTransportPolicy).toBe('relay');
    a.disconnect();
    const b = await server.connect();
    expect((await b.resume(session.resumeToken)).iceTransportPolicy).toBe('relay');
  });

  it('never writes the secret or a credential to the log', async () => {
    server = await startServer({ config: { ice: WITH_TURN } });
    const { clock } = server;
    const a = await server.connect();
    const session = await a.login('Ann');
    const credentials = [turnEntry(session.iceServers, session.userId, clock.now())];
    await a.join('r1');
    a.disconnect();
    clock.advance(5_000);
    const b = await server.connect();
    const resumed = await b.resume(session.resumeToken);
    credentials.push(turnEntry(resumed.iceServers, session.userId, clock.now()));

    const text = server.rawLogs();
    expect(server.logs.length).toBeGreaterThan(3);
    expect(text).toContain('login resumed');
    expect(text).not.toContain(SECRET);
    for (const { credential } of credentials) {
      expect(text).not.toContain(credential);
      // Not even a recognisable part of one.
      expect(text).not.toContain(credential.slice(0, 12));
    }
  });
});
