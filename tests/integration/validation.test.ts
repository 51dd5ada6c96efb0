import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientEventName } from '../../shared/src/protocol.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { LIMITS } from '../../shared/src/timing.ts';
import type { Store } from '../../signaling-server/src/store/store.ts';
import { BAD_INPUT_LOG_INTERVAL_MS } from '../../signaling-server/src/validate.ts';
import { ok, startServer, type TestClient, type TestServer } from './helpers.ts';

/**
 * Bad input on every event: an INVALID_PARAM ack (or, above the packet limit, a closed
 * connection), one log line, no state change, and a server that keeps serving.
 */
let server: TestServer;
let ann: TestClient;
let bob: TestClient;
let ha: number;
let hb: number;

beforeAll(async () => {
  server = await startServer();
  ann = await server.connect();
  bob = await server.connect();
  await ann.login('Ann');
  await bob.login('Bob');
  ha = (await ann.join('r1')).handle;
  hb = (await bob.join('r1')).handle;
  await ann.event('joined');
});
afterAll(async () => {
  await server.close();
});

const long = (n: number) => 'x'.repeat(n);
const NON_OBJECTS = ['text', 42, null, [], true];

const BAD: Record<ClientEventName, unknown[]> = {
  login: [
    { name: 5 },
    {},
    { name: 'Zed', extra: 1 },
    { name: long(LIMITS.displayName + 1) },
    { name: 'Zed', password: '' },
    { name: 'Zed', password: long(LIMITS.password + 1) },
    { name: 'a\u0000b' },
    { name: '   ' },
  ],
  resume: [
    { token: 5 },
    {},
    { token: long(43), extra: 1 },
    { token: long(LIMITS.resumeToken + 1) },
    { token: 'short' },
  ],
  logout: [{ x: 1 }],
  'conf:join': [
    { room: 5 },
    {},
    { room: 'r1', x: 1 },
    { room: long(LIMITS.roomId + 1) },
    { room: 'bad room!' },
    { room: '' },
  ],
  'conf:leave': [
    { handle: '1' },
    {},
    { handle: 1, x: 1 },
    { handle: 0 },
    { handle: 2 ** 32 },
    { handle: 1.5 },
    { handle: -1 },
  ],
  'conf:resume': [
    { handle: 1 },
    { handle: 1, lastSeq: -1 },
    { handle: 1, lastSeq: '0' },
    { handle: 1, lastSeq: 0, x: 1 },
    { lastSeq: 0 },
    { handle: 1, lastSeq: 0.5 },
  ],
  signal: [
    { from: 1, to: 2 },
    { from: 1, to: 2, data: { type: 'offer', sdp: long(LIMITS.signalBytes + 1) } },
    { from: 1, to: 2, data: { type: 'bogus' } },
    { from: '1', to: 2, data: { renegotiate: true } },
    { from: 1, to: 2, data: { renegotiate: true }, x: 1 },
    { from: 1, to: 2, data: { renegotiate: true, x: 1 } },
    { from: 1, to: 2, data: { renegotiate: false } },
    { from: 1, to: 2, data: 'sdp' },
  ],
  'chat:send': [
    { handle: 1, id: 'i' },
    { handle: 1, id: '', text: 't' },
    { handle: 1, id: long(LIMITS.clientMessageId + 1), text: 't' },
    { handle: 1, id: 'i', text: long(LIMITS.chatText + 1) },
    { handle: 1, id: 'i', text: 't', x: 1 },
    { handle: 1, id: 5, text: 't' },
  ],
  ping: [{ x: 1 }],
  'ice:refresh': [{ x: 1 }, []],
};

/** A valid payload per event, aimed at real state (sent without an ack, it must do nothing). */
const valid = (): Record<ClientEventName, unknown> => ({
  login: { name: 'Zed' },
  resume: { token: long(43) },
  logout: {},
  'conf:join': { room: 'r2' },
  'conf:leave': { handle: ha },
  'conf:resume': { handle: ha, lastSeq: 0 },
  signal: { from: ha, to: hb, data: { renegotiate: true } },
  'chat:send': { handle: ha, id: 'no-ack', text: 'x' },
  ping: {},
  'ice:refresh': {},
});

async function snapshot() {
  return {
    members: await server.store.members('r1'),
    seq: await server.store.lastSeq('r1'),
    r2: await server.store.getConference('r2'),
    annEvents: ann.events.length,
    bobEvents: bob.events.length,
    bobSignals: bob.signals.length,
  };
}

describe('every inbound event is validated', () => {
  for (const event of Object.keys(BAD) as ClientEventName[]) {
    it(`${event}: wrong types, missing/extra fields, oversized, non-objects → INVALID_PARAM, nothing changes`, async () => {
      // A new log interval: this test's flood of bad input is one line, whatever its size.
      server.clock.advance(BAD_INPUT_LOG_INTERVAL_MS);
      const before = await snapshot();
      const logsBefore = server.logs.filter((l) => l.msg === 'invalid payload').length;
      const payloads = [...BAD[event], ...NON_OBJECTS];
      for (const payload of payloads) {
        const reply = (await ann.callRaw(event, payload)) as { code: number; message: string };
        expect(reply.code, `${event} ${JSON.stringify(payload).slice(0, 80)}`).toBe(ResultCode.INVALID_PARAM);
        expect(reply.message).toEqual(expect.any(String));
      }
      // No payload, or two payloads.
      expect(((await ann.callRaw(event)) as { code: number }).code).toBe(ResultCode.INVALID_PARAM);
      expect(((await ann.callRaw(event, valid()[event], 'extra')) as { code: number }).code).toBe(
        ResultCode.INVALID_PARAM,
      );
      await ann.settle();
      await bob.settle();
      expect(await snapshot()).toEqual(before);
      // Logged once, not once per packet; the line carries no payload content.
      const lines = server.logs.filter((l) => l.msg === 'invalid payload').slice(logsBefore);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ event, issue: expect.any(String) });
      expect(JSON.stringify(lines[0])).not.toContain('xxxxxxxxxx');
    });
  }

  it('drops (and logs) events sent without an ack callback, on every event', async () => {
    const before = await snapshot();
    const fresh = await server.connect();
    const payloads = valid();
    for (const event of Object.keys(payloads) as ClientEventName[]) {
      ann.loose.emit(event, payloads[event]);
      fresh.loose.emit(event, payloads[event]);
    }
    await ann.settle();
    await fresh.settle();
    await bob.settle();
    expect(await snapshot()).toEqual(before);
    // 9 dropped events per socket, one line per socket.
    expect(server.logs.filter((l) => l.msg === 'event without an ack callback dropped')).toHaveLength(2);
    // The fresh socket did not get logged in by its ack-less login.
    await fresh.login('Fresh');
  });

  it('answers an unknown event with INVALID_PARAM', async () => {
    expect(((await ann.callRaw('conf:destroy', { room: 'r1' })) as { code: number }).code).toBe(
      ResultCode.INVALID_PARAM,
    );
  });

  it('refuses a large payload under the packet limit, closes the connection above it; the server lives', async () => {
    const sdp = long(LIMITS.signalBytes + 2_000); // > signalBytes, < packetBytes
    expect(
      ((await ann.callRaw('signal', { from: ha, to: hb, data: { type: 'offer', sdp } })) as { code: number })
        .code,
    ).toBe(ResultCode.INVALID_PARAM);

    const victim = await server.connect();
    await victim.login('Big');
    const closed = victim.closedByServer();
    victim.loose.emit('chat:send', { handle: 1, id: 'big', text: long(100_000) }, () => {});
    expect(await closed).toBe('transport close');

    const later = await server.connect();
    await later.login('Later');
    ok(await ann.call('ping', {}));
    expect(await server.store.members('r1')).toHaveLength(2);
  });

  it('a bad login on a fresh socket does not log it in', async () => {
    const fresh = await server.connect();
    expect(((await fresh.callRaw('login', { name: 5 })) as { code: number }).code).toBe(
      ResultCode.INVALID_PARAM,
    );
    expect((await fresh.call('conf:join', { room: 'r1' })).code).toBe(ResultCode.NOT_LOGGED_IN);
  });
});

describe('handler failures', () => {
  it('a throwing store gives SERVER_UNAVAILABLE, the process and the conference lock survive', async () => {
    let broken = true;
    const failing = await startServer({
      wrapStore: (inner) =>
        new Proxy(inner, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver);
            if (prop === 'openConference') {
              return async (...args: Parameters<Store['openConference']>) => {
                if (broken) throw new Error('store down');
                return target.openConference(...args);
              };
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    try {
      const c = await failing.connect();
      await c.login('Ann');
      const reply = await c.call('conf:join', { room: 'r1' });
      expect(reply.code).toBe(ResultCode.SERVER_UNAVAILABLE);
      broken = false;
      await c.join('r1');
      expect(failing.logs.some((l) => l.msg === 'handler failed')).toBe(true);
    } finally {
      await failing.close();
    }
  });
});
