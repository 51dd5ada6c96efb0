import { afterEach, describe, expect, it } from 'vitest';
import { SignalClient } from '../../../web/src/sdk/signal/signal-client.ts';
import { SignalTransportError } from '../../../web/src/sdk/signal/transport-error.ts';
import { startFakeServer } from './fake-server.ts';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup() {
  const server = await startFakeServer();
  const client = new SignalClient({ url: server.url, requestTimeoutMs: 300 });
  cleanup.push(server.close, () => client.close());
  return { server, client };
}

/** `reply` still waits 600 ms in (past the 300 ms default), and fails once the server drops the socket. */
async function expectWaitingUntilDisconnected(
  reply: Promise<unknown>,
  server: Awaited<ReturnType<typeof startFakeServer>>,
): Promise<void> {
  const settled = reply.then(
    () => 'answered',
    (e: unknown) => e,
  );
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(await Promise.race([settled, 'still waiting'])).toBe('still waiting');
  server.sockets.at(-1)?.disconnect(true);
  expect(await settled).toMatchObject({ name: 'SignalTransportError', kind: 'disconnected' });
}

describe('SignalClient', () => {
  it('fails fast with a transport error when not connected', async () => {
    const { client } = await setup();
    await expect(client.request('ping', {})).rejects.toMatchObject({
      name: 'SignalTransportError',
      kind: 'not-connected',
    });
  });

  it('requests and receives typed replies', async () => {
    const { client } = await setup();
    await client.connect();
    const reply = await client.request('login', { name: 'Ann' });
    expect(reply).toMatchObject({ code: 0, userId: 'u-Ann' });
  });

  it('a missing ack becomes a timeout transport error', async () => {
    const { client, server } = await setup();
    server.state.silent.add('ping');
    await client.connect();
    const err = await client.request('ping', {}, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignalTransportError);
    expect((err as SignalTransportError).kind).toBe('timeout');
  });

  it('timeoutMs null waits past the default timeout while the socket lives, and fails when it dies', async () => {
    const { client, server } = await setup(); // default timeout 300 ms
    server.state.silent.add('ping');
    await client.connect();
    await expectWaitingUntilDisconnected(client.request('ping', {}, { timeoutMs: null }), server);
  });

  it('resumeOnNewSocket: a fresh socket whose handshake carries the resume; its reply is `resume:result`', async () => {
    const { client, server } = await setup();
    await client.connect();
    server.state.resumeReply = { code: 0, userId: 'u', name: 'Ann', resumeToken: 't2', iceServers: [] };
    const req = { token: 't1'.repeat(8), conference: { handle: 3, lastSeq: 9 } };
    await expect(client.resumeOnNewSocket(req)).resolves.toMatchObject({ code: 0, resumeToken: 't2' });
    expect(server.state.resumes).toEqual([req]);
    expect(server.sockets).toHaveLength(2);
    expect(client.generation).toBe(2);
  });

  it('resumeOnNewSocket waits past the request timeout while the socket lives, and fails when it dies', async () => {
    const { client, server } = await setup(); // default timeout 300 ms
    await expectWaitingUntilDisconnected(client.resumeOnNewSocket({ token: 't1'.repeat(8) }), server);
  });

  it('resumeOnNewSocket does not give up a CONNECT it sent at the connect timeout: it carries the token', async () => {
    const { server } = await setup();
    const client = new SignalClient({ url: server.url, connectTimeoutMs: 200 });
    cleanup.push(() => client.close());
    server.state.resumeReply = { code: 0, userId: 'u', name: 'Ann', resumeToken: 't2', iceServers: [] };
    // The server takes its time over the CONNECT, well past 200 + 500 ms.
    server.io.use((_socket, next) => setTimeout(next, 1_000));
    await expect(client.resumeOnNewSocket({ token: 't1'.repeat(8) })).resolves.toMatchObject({ code: 0 });
    // A plain connect is still given up in time.
    const plain = new SignalClient({ url: server.url, connectTimeoutMs: 200 });
    cleanup.push(() => plain.close());
    await expect(plain.connect()).rejects.toMatchObject({ name: 'SignalTransportError', kind: 'timeout' });
  });

  it('a refused connection is a connect-failed transport error', async () => {
    const client = new SignalClient({ url: 'http://127.0.0.1:1', connectTimeoutMs: 500 });
    cleanup.push(() => client.close());
    await expect(client.connect()).rejects.toMatchObject({ kind: 'connect-failed' });
  });

  it('resumeOnNewSocket opens a fresh socket; streams survive and the old socket is silent', async () => {
    const { client, server } = await setup();
    server.state.resumeReply = { code: 0, userId: 'u', name: 'Ann', resumeToken: 't2', iceServers: [] };
    const disconnects: string[] = [];
    const states: boolean[] = [];
    const events: number[] = [];
    client.disconnect$.subscribe((d) => disconnects.push(d.reason));
    client.connected$.subscribe((c) => states.push(c));
    client.confEvents$.subscribe((e) => events.push(e.seq));
    await client.connect();
    await client.resumeOnNewSocket({ token: 't1'.repeat(8) });
    expect(server.sockets).toHaveLength(2);
    expect(client.generation).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.sockets[0]?.connected).toBe(false);
    expect(disconnects).toEqual([]);
    server.sockets[1]?.emit('conf:event', {
      room: 'r',
      seq: 7,
      at: 0,
      kind: 'status',
      handle: 1,
      status: 'connected',
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual([7]);
    expect(states).toEqual([false, true, false, true]);
  });

  it('reports a server-side disconnect with socket.io reason', async () => {
    const { client, server } = await setup();
    const reasons: string[] = [];
    client.disconnect$.subscribe((d) => reasons.push(d.reason));
    await client.connect();
    server.sockets[0]?.disconnect(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(reasons).toEqual(['io server disconnect']);
    expect(client.connected).toBe(false);
  });
});
