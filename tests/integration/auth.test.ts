import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { hashPassword } from '../../signaling-server/src/passwords.ts';
import { ok, startServer, type TestServer } from './helpers.ts';

let server: TestServer;
let aliceHash: string;

beforeAll(async () => {
  aliceHash = await hashPassword('correct horse');
});

afterEach(async () => {
  await server?.close();
});

describe('login', () => {
  it('logs a guest in with a display name and a fresh random userId and token', async () => {
    server = await startServer();
    const a = await server.connect();
    const b = await server.connect();
    const sa = await a.login('Ann');
    const sb = await b.login('Ann');
    expect(sa.name).toBe('Ann');
    expect(sa.userId).not.toBe(sb.userId);
    expect(sa.resumeToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sa.resumeToken).not.toBe(sb.resumeToken);
  });

  it('refuses a second login on the same socket', async () => {
    server = await startServer();
    const a = await server.connect();
    await a.login('Ann');
    expect((await a.call('login', { name: 'Ann' })).code).toBe(ResultCode.ALREADY_LOGGED_IN);
  });

  it('refuses guests when they are switched off', async () => {
    server = await startServer({ config: { allowGuests: false } });
    const a = await server.connect();
    expect((await a.call('login', { name: 'Ann' })).code).toBe(ResultCode.GUEST_NOT_ALLOWED);
  });

  it('logs an account in with the right password, refuses a wrong one or an unknown account', async () => {
    server = await startServer({ config: { allowGuests: false, accounts: new Map([['alice', aliceHash]]) } });
    const a = await server.connect();
    expect((await a.call('login', { name: 'alice', password: 'wrong' })).code).toBe(ResultCode.AUTH_REJECTED);
    expect((await a.call('login', { name: 'bob', password: 'correct horse' })).code).toBe(
      ResultCode.AUTH_REJECTED,
    );
    const session = await a.login('alice', 'correct horse');
    expect(session.name).toBe('alice');
    expect(server.rawLogs()).not.toContain('correct horse');
    expect(server.rawLogs()).not.toContain(session.resumeToken);
  });

  it('does not let a guest take the name of an account', async () => {
    server = await startServer({ config: { accounts: new Map([['alice', aliceHash]]) } });
    const a = await server.connect();
    expect((await a.call('login', { name: 'alice' })).code).toBe(ResultCode.AUTH_REJECTED);
    await a.login('alicia');
  });

  it('rate-limits login attempts per address', async () => {
    server = await startServer({
      config: { rateLimit: { windowMs: 10_000, perAddress: 3, perAccount: 10 } },
    });
    for (let i = 0; i < 3; i++) await (await server.connect()).login(`u${i}`);
    const c = await server.connect();
    const refused = await c.call('login', { name: 'late' });
    expect(refused.code).toBe(ResultCode.RATE_LIMITED);
    expect(refused.code !== 0 && refused.retryAfterMs).toBe(10_000);
    server.clock.advance(10_000);
    await c.login('late');
  });
});

describe('logout', () => {
  it('leaves every conference (others see reason logout) and ends the session', async () => {
    server = await startServer();
    const a = await server.connect();
    const b = await server.connect();
    const sa = await a.login('Ann');
    await b.login('Bob');
    const ja = await a.join('r1');
    await b.join('r1');
    expect(ok(await a.call('logout', {})).code).toBe(0);
    const left = await b.event('left');
    expect(left).toMatchObject({ handle: ja.handle, reason: 'logout' });
    expect((await a.call('conf:join', { room: 'r1' })).code).toBe(ResultCode.NOT_LOGGED_IN);
    expect((await a.call('logout', {})).code).toBe(ResultCode.NOT_LOGGED_IN);
    const c = await server.connect();
    expect((await c.call('resume', { token: sa.resumeToken })).code).toBe(ResultCode.RESUME_TOKEN_REJECTED);
    // The socket may log in again.
    await a.login('Ann');
  });
});

describe('ping and actions before login', () => {
  it('answers ping with the server clock, and refuses conference actions before login', async () => {
    server = await startServer();
    const a = await server.connect();
    expect(await a.call('ping', {})).toEqual({ code: 0, at: server.clock.now() });
    expect((await a.call('conf:join', { room: 'r' })).code).toBe(ResultCode.NOT_LOGGED_IN);
    expect((await a.call('conf:leave', { handle: 1 })).code).toBe(ResultCode.NOT_LOGGED_IN);
    expect((await a.call('signal', { from: 1, to: 2, data: { renegotiate: true } })).code).toBe(
      ResultCode.NOT_LOGGED_IN,
    );
    expect((await a.call('chat:send', { handle: 1, id: 'm', text: 'x' })).code).toBe(
      ResultCode.NOT_LOGGED_IN,
    );
  });
});

describe('http', () => {
  it('answers /healthz, serves index.html for / and deep links, 404 for a missing file', async () => {
    server = await startServer();
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const notBuilt = await fetch(`${server.url}/?room=x&name=y`);
    expect(notBuilt.status).toBe(503);
    expect(await notBuilt.text()).toContain('not built');

    const dir = server.staticDir;
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>meeting</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const index = await fetch(`${server.url}/?room=x&name=y`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<title>meeting</title>');
    expect((await fetch(`${server.url}/some/route`)).status).toBe(200);
    const js = await fetch(`${server.url}/app.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/..%2f..%2fetc%2fpasswd`)).status).not.toBe(200);
  });
});
