import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { LIMITS } from '../../shared/src/timing.ts';
import { TsdkConfEnvType, TsdkConfMediaType } from '../../shared/src/tsdk.ts';
import { ok, startServer, type TestClient, type TestServer } from './helpers.ts';

let server: TestServer;

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await server.close();
});

async function guest(name: string): Promise<TestClient> {
  const c = await server.connect();
  await c.login(name);
  return c;
}

describe('conf:join', () => {
  it('gives unique non-zero handles, the roster, the TSDK join info, and `joined` to the others', async () => {
    const a = await guest('Ann');
    const b = await guest('Bob');
    const ja = await a.join('r1');
    expect(ja.handle).toBeGreaterThan(0);
    expect(ja.room).toBe('r1');
    expect(ja.seq).toBe(1);
    expect(ja.roster).toEqual([
      expect.objectContaining({ handle: ja.handle, name: 'Ann', status: 'connected' }),
    ]);
    expect(ja.info).toEqual({
      call_id: expect.any(Number),
      conf_media_type: TsdkConfMediaType.VIDEO,
      is_hd_conf: true,
      conf_env_type: TsdkConfEnvType.ON_PREMISES,
      is_svc_conf: false,
      svc_label_count: 0,
      svc_label: [],
    });
    expect(ja.info.call_id).toBeGreaterThan(0);

    const jb = await b.join('r1');
    expect(jb.handle).not.toBe(ja.handle);
    expect(jb.handle).toBeGreaterThan(0);
    expect(jb.info.call_id).toBe(ja.info.call_id);
    expect(jb.seq).toBe(2);
    expect(jb.roster.map((p) => p.handle)).toEqual([ja.handle, jb.handle]);

    const joined = await a.event('joined');
    expect(joined).toMatchObject({ room: 'r1', seq: 2, participant: { handle: jb.handle, name: 'Bob' } });
    await b.settle();
    expect(b.events).toEqual([]); // the joiner learns about itself from its roster

    const other = await (await guest('Cy')).join('r2');
    expect(other.info.call_id).not.toBe(ja.info.call_id);
    expect(new Set([ja.handle, jb.handle, other.handle]).size).toBe(3);
  });

  it('refuses a second presence of the same login session in a room, and a full room', async () => {
    const a = await guest('Ann');
    await a.join('r1');
    expect((await a.call('conf:join', { room: 'r1' })).code).toBe(ResultCode.CONF_JOIN_REFUSED);
    await a.join('r2'); // another room is fine

    for (let i = 1; i < LIMITS.participantsPerConference; i++) await (await guest(`p${i}`)).join('r1');
    const late = await guest('late');
    expect((await late.call('conf:join', { room: 'r1' })).code).toBe(ResultCode.CONF_JOIN_REFUSED);
    expect(await server.store.members('r1')).toHaveLength(LIMITS.participantsPerConference);
  });
});

describe('signal relay', () => {
  it('delivers between two handles of the same conference, and nowhere else', async () => {
    const a = await guest('Ann');
    const b = await guest('Bob');
    const c = await guest('Cy');
    const ha = (await a.join('r1')).handle;
    const hb = (await b.join('r1')).handle;
    const hc = (await c.join('r2')).handle;

    const data = { type: 'offer', sdp: 'v=0\r\n' } as const;
    expect(await a.call('signal', { from: ha, to: hb, data })).toEqual({ code: 0 });
    const got = await b.until(() => b.signals[0], 'signal');
    expect(got).toEqual({ from: ha, to: hb, data });

    expect((await a.call('signal', { from: ha, to: hc, data })).code).toBe(ResultCode.PEER_UNKNOWN);
    expect((await a.call('signal', { from: ha, to: 99_999, data })).code).toBe(ResultCode.PEER_UNKNOWN);
    expect((await a.call('signal', { from: ha, to: ha, data })).code).toBe(ResultCode.PEER_UNKNOWN);
    // `from` must be a handle of this login session.
    expect((await a.call('signal', { from: hb, to: ha, data })).code).toBe(ResultCode.HANDLE_UNKNOWN);
    await c.settle();
    await a.settle();
    expect(c.signals).toEqual([]);
    expect(a.signals).toEqual([]);
    expect(b.signals).toHaveLength(1);
  });
});

describe('chat', () => {
  it('reaches everyone in the conference including the sender, with a seq; a repeated id is not reposted', async () => {
    const a = await guest('Ann');
    const b = await guest('Bob');
    const ha = (await a.join('r1')).handle;
    const hb = (await b.join('r1')).handle;
    const sent = ok(await a.call('chat:send', { handle: ha, id: 'm1', text: 'hello' }));
    expect(sent.seq).toBe(3);
    for (const c of [a, b]) {
      const chat = await c.event('chat');
      expect(chat).toMatchObject({ seq: 3, message: { id: 'm1', from: ha, name: 'Ann', text: 'hello' } });
    }
    const again = ok(await a.call('chat:send', { handle: ha, id: 'm1', text: 'hello' }));
    expect(again.seq).toBe(3);
    // Another sender may use the same client id.
    expect(ok(await b.call('chat:send', { handle: hb, id: 'm1', text: 'hi' })).seq).toBe(4);
    await a.settle();
    await b.settle();
    expect(a.events.filter((e) => e.kind === 'chat')).toHaveLength(2);
    expect(b.events.filter((e) => e.kind === 'chat')).toHaveLength(2);
    expect(await server.store.lastSeq('r1')).toBe(4);
  });

  it('refuses chat from a handle that is not the sender’s', async () => {
    const a = await guest('Ann');
    const b = await guest('Bob');
    await a.join('r1');
    const hb = (await b.join('r1')).handle;
    expect((await a.call('chat:send', { handle: hb, id: 'x', text: 'spoof' })).code).toBe(
      ResultCode.HANDLE_UNKNOWN,
    );
  });
});

describe('conf:leave', () => {
  it('tells the others `left`; the last one out ends the conference', async () => {
    const a = await guest('Ann');
    const b = await guest('Bob');
    const ja = await a.join('r1');
    const jb = await b.join('r1');
    expect(await a.call('conf:leave', { handle: ja.handle })).toEqual({ code: 0 });
    expect(await b.event('left')).toMatchObject({ handle: ja.handle, reason: 'left', seq: 3 });
    // A left handle is gone.
    expect((await a.call('conf:leave', { handle: ja.handle })).code).toBe(ResultCode.HANDLE_UNKNOWN);
    expect(
      (await b.call('signal', { from: jb.handle, to: ja.handle, data: { renegotiate: true } })).code,
    ).toBe(ResultCode.PEER_UNKNOWN);
    // The leaver no longer hears the conference.
    ok(await b.call('chat:send', { handle: jb.handle, id: 'c', text: 'still here' }));
    await b.event('chat');
    await a.settle();
    expect(a.events).toEqual([expect.objectContaining({ kind: 'joined' })]);

    expect(await b.call('conf:leave', { handle: jb.handle })).toEqual({ code: 0 });
    expect(await server.store.getConference('r1')).toBeNull();
    // A new conference under the same name starts over.
    const again = await a.join('r1');
    expect(again.seq).toBe(1);
    expect(again.info.call_id).not.toBe(ja.info.call_id);
  });
});
