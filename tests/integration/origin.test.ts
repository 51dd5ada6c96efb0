import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllowedOrigins } from '../../signaling-server/src/origin.ts';
import { type StartOptions, startServer, type TestServer } from './helpers.ts';

/**
 * The Origin allowlist (issue 12): a page of another site cannot open a socket. Refused at the
 * handshake with HTTP 403 before engine.io made any session, counted, logged once per origin
 * per minute; no Origin (non-browser clients) allowed unless REQUIRE_ORIGIN.
 */
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

async function start(options: StartOptions = {}): Promise<TestServer> {
  server = await startServer(options);
  return server;
}

/** A raw WebSocket handshake, as a browser sends it: the status the server answers. */
function upgrade(
  origin: string | undefined,
  host?: string,
  extra: Record<string, string> = {},
): Promise<number> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: '/socket.io/?EIO=4&transport=websocket',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
        ...(origin === undefined ? {} : { origin }),
        ...(host === undefined ? {} : { host }),
        ...extra,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A long-polling handshake (the other transport). */
async function pollingHandshake(origin: string | undefined): Promise<number> {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
    headers: origin === undefined ? {} : { origin },
  });
  await res.text();
  return res.status;
}

async function refusedCount(): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('signaling_origin_refused_total '));
  return Number(line?.split(' ')[1] ?? 0);
}

const originLogs = () => server.logs.filter((l) => l.msg === 'handshake refused: origin');

describe('Origin allowlist, default (the server itself and localhost)', () => {
  it('allows no Origin, localhost and 127.0.0.1 on any port, and the origin the request is addressed to', async () => {
    await start();
    expect(await upgrade(undefined)).toBe(101);
    expect(await upgrade('http://localhost:5173')).toBe(101);
    expect(await upgrade('http://127.0.0.1:1')).toBe(101);
    expect(await upgrade('https://localhost')).toBe(101);
    // A lab address the page was served from: Origin equals the request's own Host.
    expect(await upgrade('http://10.200.1.2:3000', '10.200.1.2:3000')).toBe(101);
    expect(await upgrade('https://meet.example.com', 'meet.example.com')).toBe(101);
    expect(await pollingHandshake('http://localhost:3000')).toBe(200);
    // Behind nginx (`proxy_pass http://meeting`): Host is the upstream's name, the page's host
    // comes as X-Forwarded-Host.
    expect(
      await upgrade('https://meet.example.com', 'meeting', { 'x-forwarded-host': 'meet.example.com' }),
    ).toBe(101);
    expect(await refusedCount()).toBe(0);
  });

  it('refuses another site with 403 on both transports, before any session; counted; logged once per origin per minute', async () => {
    await start();
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await upgrade('http://evil.example'));
    codes.push(await pollingHandshake('http://evil.example'));
    // Same host, another port: another origin.
    codes.push(await upgrade('http://10.200.1.2:4000', '10.200.1.2:3000'));
    codes.push(await upgrade('null'));
    expect(codes).toEqual([403, 403, 403, 403, 403, 403, 403, 403]);
    expect(server.server.io.engine.clientsCount).toBe(0);
    expect(await refusedCount()).toBe(8);
    expect(originLogs().map((l) => l.origin)).toEqual([
      'http://evil.example',
      'http://10.200.1.2:4000',
      'null',
    ]);
    server.clock.advance(60_000);
    expect(await upgrade('http://evil.example')).toBe(403);
    expect(originLogs()).toHaveLength(4);
    expect(originLogs().at(-1)).toMatchObject({ origin: 'http://evil.example', suppressed: 5 });
    // The refusal carries the security headers too, and the server goes on.
    expect(await upgrade('http://localhost:3000')).toBe(101);
  });

  it('a guest login through a refused page never happens (socket.io-client sees a handshake error)', async () => {
    await start();
    const { io } = await import('socket.io-client');
    const socket = io(server.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: 'http://evil.example' },
    });
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.close();
    expect(error.message).toMatch(/websocket error/);
    expect(server.logs.filter((l) => l.msg === 'login')).toHaveLength(0);
  });
});

describe('Origin allowlist, configured', () => {
  it('ALLOWED_ORIGINS names exactly who may connect; self only when listed', async () => {
    await start({
      config: { origins: { allowed: parseAllowedOrigins('https://meet.example.com, http://lab:*') } },
    });
    expect(await upgrade('https://meet.example.com')).toBe(101);
    expect(await upgrade('https://meet.example.com:443')).toBe(101);
    expect(await upgrade('http://meet.example.com')).toBe(403);
    expect(await upgrade('http://lab:8080')).toBe(101);
    expect(await upgrade('http://localhost:3000')).toBe(403);
    expect(await upgrade('http://10.200.1.2:3000', '10.200.1.2:3000')).toBe(403);
    expect(await upgrade(undefined)).toBe(101);
  });

  it('REQUIRE_ORIGIN refuses a handshake without one', async () => {
    await start({ config: { origins: { requireOrigin: true } } });
    expect(await upgrade(undefined)).toBe(403);
    expect(await pollingHandshake(undefined)).toBe(403);
    expect(await upgrade('http://localhost:3000')).toBe(101);
    expect(originLogs()[0]).toMatchObject({ origin: '(none)', reason: 'no Origin header' });
  });

  it('a bad ALLOWED_ORIGINS entry stops the start with a message naming it', () => {
    expect(() => parseAllowedOrigins('https://ok.example, evil')).toThrow(/ALLOWED_ORIGINS.*"evil"/);
    expect(() => parseAllowedOrigins('http://x:99999')).toThrow(/ALLOWED_ORIGINS/);
    expect(() => parseAllowedOrigins(' , ')).toThrow(/ALLOWED_ORIGINS/);
    expect(parseAllowedOrigins('self, *, http://[::1]:*')).toEqual(['self', '*', 'http://[::1]:*']);
  });
});
