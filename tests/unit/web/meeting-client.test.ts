import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage } from '../../../shared/src/index.ts';
import { ResultCode, TSDK_E_CONFIG_LOCAL_ADDRESS, TsdkEvent } from '../../../shared/src/index.ts';
import { MeetingClient } from '../../../web/src/sdk/meeting-client.ts';
import { fakeLinks, fakeStream } from './fake-link.ts';
import { startFakeServer } from './fake-server.ts';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function setup() {
  const server = await startFakeServer();
  const { links, createLink } = fakeLinks();
  const client = new MeetingClient({
    url: server.url,
    requestTimeoutMs: 500,
    createLink,
    getUserMedia: async () => fakeStream(),
  });
  cleanup.push(server.close, () => client.destroy());
  return { server, client, links };
}

describe('MeetingClient', () => {
  it('login reports AUTH_SUCCESS then LOGIN_SUCCESS', async () => {
    const { client } = await setup();
    const seen: string[] = [];
    client.onNotify((n) => seen.push(n.event));
    await expect(client.login({ name: 'me' })).resolves.toEqual({ userId: 'u-me', name: 'me' });
    expect(seen).toEqual([TsdkEvent.AUTH_SUCCESS, TsdkEvent.LOGIN_SUCCESS]);
    expect(client.history.map((n) => [n.param1, n.param2])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('refused credentials report AUTH_FAILED with the reason and reject with the code', async () => {
    const { client } = await setup();
    await expect(client.login({ name: 'me', password: 'wrong' })).rejects.toMatchObject({
      code: ResultCode.AUTH_REJECTED,
    });
    expect(client.history).toEqual([
      expect.objectContaining({
        event: TsdkEvent.AUTH_FAILED,
        param2: ResultCode.AUTH_REJECTED,
        data: { reason: 'AUTH_REJECTED', message: 'bad password' },
      }),
    ]);
  });

  it('an unreachable server reports LOGIN_FAILED (SERVER_UNAVAILABLE)', async () => {
    const client = new MeetingClient({ url: 'http://127.0.0.1:1' });
    cleanup.push(() => client.destroy());
    await expect(client.login({ name: 'me' })).rejects.toMatchObject({ code: ResultCode.SERVER_UNAVAILABLE });
    expect(client.history.map((n) => [n.event, n.param2])).toEqual([
      [TsdkEvent.LOGIN_FAILED, ResultCode.SERVER_UNAVAILABLE],
    ]);
  });

  it('join reports JOIN_CONF_RESULT and opens a link to everyone else', async () => {
    const { client, links } = await setup();
    await client.login({ name: 'me' });
    const info = await client.join('r1');
    const join = client.history.at(-1);
    expect(join).toMatchObject({ event: TsdkEvent.JOIN_CONF_RESULT, param1: info.handle, param2: 0 });
    expect(join?.data).toMatchObject({ conf_media_type: 'TSDK_E_CONF_MEDIA_VIDEO', svc_label_count: 0 });
    expect(client.conference).toMatchObject({ handle: info.handle, room: 'r1', lastSeq: 5 });
    await tick(0);
    expect(links).toHaveLength(1);
    expect(links[0]?.initiator).toBe(true); // 'u-me' < 'zed'
  });

  it('events that beat the join reply: applied after JOIN_CONF_RESULT, those the snapshot holds dropped', async () => {
    const { client, server } = await setup();
    await client.login({ name: 'me' });
    const bob = { handle: 60, userId: 'bob', name: 'Bob', status: 'connected' as const };
    server.state.beforeJoinReply = [
      // Already in the join's snapshot (seq 5): a duplicate.
      { room: 'r1', seq: 5, at: 0, kind: 'status', handle: 50, status: 'reconnecting' },
      // After the snapshot: Bob joined between the server's reply and its arrival.
      { room: 'r1', seq: 6, at: 0, kind: 'joined', participant: bob },
    ];
    const { handle } = await client.join('r1');
    await tick(0);
    expect(client.history.map((n) => n.event).slice(-2)).toEqual([
      TsdkEvent.JOIN_CONF_RESULT,
      TsdkEvent.INFO_AND_STATUS_UPDATE,
    ]);
    expect(client.history.at(-1)).toMatchObject({ param1: handle, data: { change: 'joined' } });
    expect(client.conference?.lastSeq).toBe(6);
    expect(client.conference?.roster.map((p) => [p.userId, p.status])).toEqual([
      ['zed', 'connected'],
      ['u-me', 'connected'],
      ['bob', 'connected'],
    ]);
  });

  it('applies conference events in order, ignores duplicates, rekeys on replace, keeps chat apart', async () => {
    const { client, server, links } = await setup();
    await client.login({ name: 'me' });
    const { handle } = await client.join('r1');
    await tick(0);
    const chat: ChatMessage[] = [];
    client.chat$.subscribe((m) => chat.push(m));
    const mark = client.history.length;
    const room = 'r1';
    const bob = { handle: 60, userId: 'bob', name: 'Bob', status: 'connected' as const };
    server.emitEvent({ room, seq: 6, at: 0, kind: 'joined', participant: bob });
    server.emitEvent({ room, seq: 6, at: 0, kind: 'joined', participant: bob }); // duplicate
    server.emitEvent({ room, seq: 7, at: 0, kind: 'status', handle: 60, status: 'reconnecting' });
    server.emitEvent({
      room,
      seq: 8,
      at: 0,
      kind: 'replaced',
      oldHandle: 60,
      participant: { ...bob, handle: 61 },
    });
    await tick();
    server.state.seq = 8;
    const sent = await client.sendChat('hello');
    await tick();
    server.emitEvent({ room, seq: 10, at: 0, kind: 'left', handle: 50, reason: 'left' });
    await tick();

    const updates = client.history.slice(mark);
    expect(updates.map((n) => [n.event, n.param1, (n.data as { change: string }).change])).toEqual([
      [TsdkEvent.INFO_AND_STATUS_UPDATE, handle, 'joined'],
      [TsdkEvent.INFO_AND_STATUS_UPDATE, handle, 'status'],
      [TsdkEvent.INFO_AND_STATUS_UPDATE, handle, 'replaced'],
      [TsdkEvent.INFO_AND_STATUS_UPDATE, handle, 'left'],
    ]);
    expect(chat.map((m) => m.text)).toEqual(['hello']);
    expect(chat[0]?.id).toBe(sent.id);
    expect(client.messages).toHaveLength(1);
    expect(client.conference?.lastSeq).toBe(10);
    expect(client.conference?.roster.map((p) => p.handle)).toEqual([handle, 61]);
    // zed (left) closed; bob kept one link across the handle change.
    expect(links.map((l) => l.closed)).toEqual([true, false]);
  });

  it('a chat refused RATE_LIMITED waits retryAfterMs and goes again: late, in order, nothing lost', async () => {
    const { client, server } = await setup();
    await client.login({ name: 'me' });
    await client.join('r1');
    server.state.chatRefusals = 2;
    server.state.chatRetryAfterMs = 150;
    const started = Date.now();
    let outbox: readonly { state: string }[] = [];
    const sub = client.outbox$.subscribe((entries) => {
      outbox = entries;
    });
    cleanup.push(() => sub.unsubscribe());
    const sent = ['one', 'two', 'three'].map((text) => client.sendChat(text));
    // Queued behind the refused one, not failed.
    await tick(50);
    expect(outbox.map((e) => e.state)).toEqual(['pending', 'pending', 'pending']);
    const results = await Promise.all(sent);
    // Two refusals of the first message, 150 ms each, before anything went through.
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const tries = server.state.chatTries;
    const first = results[0]?.id;
    expect(tries.map((t) => [t.id === first, t.refused])).toEqual([
      [true, true],
      [true, true],
      [true, false],
      [false, false],
      [false, false],
    ]);
    expect((tries[1]?.at ?? 0) - (tries[0]?.at ?? 0)).toBeGreaterThanOrEqual(140);
    // Sequenced in the order they were written, each once.
    expect(tries.filter((t) => !t.refused).map((t) => t.id)).toEqual(results.map((r) => r.id));
    expect(results.map((r) => r.seq)).toEqual([6, 7, 8]);
    await tick(20);
    expect(client.messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
  });

  it('conf:ended reports CONF_END_IND with the code and tears down', async () => {
    const { client, server, links } = await setup();
    await client.login({ name: 'me' });
    const { handle } = await client.join('r1');
    await tick(0);
    server.sockets[0]?.emit('conf:ended', { handle, code: ResultCode.CONF_ENDED, message: 'closed' });
    await tick();
    expect(client.history.at(-1)).toMatchObject({
      event: TsdkEvent.CONF_END_IND,
      param1: handle,
      param2: ResultCode.CONF_ENDED,
      data: { reason: 'CONF_ENDED', message: 'closed' },
    });
    expect(client.conference).toBeNull();
    expect(links[0]?.closed).toBe(true);
  });

  it('leave then logout; a closed client refuses everything with INVALID_STATE', async () => {
    const { client } = await setup();
    await client.login({ name: 'me' });
    const { handle } = await client.join('r1');
    await client.logout();
    expect(client.history.slice(-2).map((n) => [n.event, n.param1])).toEqual([
      [TsdkEvent.CONF_END_IND, handle],
      [TsdkEvent.LOGOUT_SUCCESS, 0],
    ]);
    expect(client.closed).toBe(true);
    const invalid = { code: ResultCode.INVALID_STATE };
    await expect(client.login({ name: 'me' })).rejects.toMatchObject(invalid);
    await expect(client.join('r1')).rejects.toMatchObject(invalid);
    await expect(client.leave()).rejects.toMatchObject(invalid);
    await expect(client.sendChat('x')).rejects.toMatchObject(invalid);
    await expect(client.logout()).rejects.toMatchObject(invalid);
    expect(() => client.tsdk_set_config_param(TSDK_E_CONFIG_LOCAL_ADDRESS, {})).toThrow(/closed/);
    expect(client.history.length).toBeGreaterThan(0);
  });

  it('destroy (the page going away) sends the leave beacon with the session token, once', async () => {
    const { client } = await setup();
    const beacons: [string, unknown][] = [];
    vi.stubGlobal('navigator', { sendBeacon: (url: string, body: unknown) => beacons.push([url, body]) > 0 });
    cleanup.push(() => {
      vi.unstubAllGlobals();
    });
    client.destroy(); // before login: no session, nothing to end
    expect(beacons).toEqual([]);

    const { client: joined, server } = await setup();
    await joined.login({ name: 'me' });
    await joined.join('r1');
    joined.destroy();
    joined.destroy();
    expect(beacons).toEqual([[`${server.url}/leave`, JSON.stringify({ token: 'token-0123456789abcdef' })]]);
    expect(joined.closed).toBe(true);
  });

  it('join before login, or twice, is INVALID_STATE', async () => {
    const { client } = await setup();
    await expect(client.join('r1')).rejects.toMatchObject({ code: ResultCode.INVALID_STATE });
    await client.login({ name: 'me' });
    await client.join('r1');
    await expect(client.join('r1')).rejects.toMatchObject({ code: ResultCode.INVALID_STATE });
  });

  it('tsdk_set_config_param validates and records the local address', async () => {
    const { client } = await setup();
    expect(
      client.tsdk_set_config_param(TSDK_E_CONFIG_LOCAL_ADDRESS, { ip_address: 'nope', is_try_resume: true }),
    ).toBe(ResultCode.INVALID_PARAM);
    expect(client.tsdk_set_config_param('TSDK_E_CONFIG_UNKNOWN', 1)).toBe(ResultCode.INVALID_PARAM);
    const addr = { ip_address: '10.0.0.2', is_try_resume: false };
    const seen: unknown[] = [];
    client.localAddress$.subscribe((a) => seen.push(a));
    expect(client.tsdk_set_config_param(TSDK_E_CONFIG_LOCAL_ADDRESS, addr)).toBe(0);
    expect(seen).toEqual([addr]);
    expect(client.localAddress).toEqual(addr);
  });

  it('resume ports: login resume on a fresh socket, transport failures typed', async () => {
    const { client, server } = await setup();
    await client.login({ name: 'me' });
    await client.join('r1');
    const ports = client.resumePorts();
    expect(ports.conference()).toMatchObject({ room: 'r1', lastSeq: 5 });
    server.state.resumeReply = { code: 0, userId: 'u-me', name: 'me', resumeToken: 't2', iceServers: [] };
    await expect(firstValueFrom(ports.resumeLogin())).resolves.toMatchObject({ code: 0, resumeToken: 't2' });
    // The resume rode the new socket's handshake, with the token of the login.
    expect(server.sockets).toHaveLength(2);
    expect(server.state.resumes).toEqual([{ token: 'token-0123456789abcdef' }]);
    await expect(firstValueFrom(ports.probe())).resolves.toBe(false); // peer link not connected (fake)
    await server.close();
    await tick(100);
    await expect(firstValueFrom(ports.resumeLogin())).rejects.toMatchObject({ name: 'TransportError' });
  });
});
