import { afterEach, describe, expect, it } from 'vitest';
import { LEAVE_BEACON_PATH } from '../../shared/src/http-paths.ts';
import { guestOn, startServer, type TestClient, type TestServer } from './helpers.ts';

/**
 * A page that closes its WebSocket with 1001, going away (going-away.ts), has left: its seats are
 * released at once (others see `left`), not held for the 60 s window. Any other close is a drop
 * whose seat is held. The session is detached, not ended, so the page's beacon still counts.
 */
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

/** Closes the client's WebSocket itself, with `code`, as a browser does (no socket.io goodbye). */
function closeWebSocket(client: TestClient, code: number): void {
  const transport = client.socket.io.engine.transport as unknown as { ws: { close(code: number): void } };
  transport.ws.close(code);
}

async function annAndBob() {
  server = await startServer();
  const ann = await guestOn(server, 'Ann');
  const bob = await guestOn(server, 'Bob');
  const ja = await ann.client.join('r1');
  await bob.client.join('r1');
  await ann.client.until(() => ann.client.events.length === 1, 'bob joined');
  return { ann, bob, ja };
}

describe('a page going away', () => {
  it('closed with 1001: the seat is left at once, and the beacon behind it still ends the session', async () => {
    const { ann, bob, ja } = await annAndBob();

    closeWebSocket(ann.client, 1001);

    expect(await bob.client.event('left', (e) => e.handle === ja.handle)).toMatchObject({ reason: 'left' });
    expect(bob.client.events.filter((e) => e.kind === 'status')).toEqual([]);
    expect(await server.store.members('r1')).toEqual([expect.objectContaining({ name: 'Bob' })]);
    const res = await fetch(`${server.url}${LEAVE_BEACON_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'null' },
      body: JSON.stringify({ token: ann.session.resumeToken }),
    });
    expect(res.status).toBe(204);
    expect(await server.store.getSession(ann.session.userId)).toBeNull();
  });

  it('closed with any other code (1000, 1006 from a dead network): the seat is held for a resume', async () => {
    const { ann, bob, ja } = await annAndBob();

    closeWebSocket(ann.client, 1000);

    expect(await bob.client.event('status', (e) => e.handle === ja.handle)).toMatchObject({
      status: 'reconnecting',
    });
    expect(await server.store.members('r1')).toHaveLength(2);
    expect(await server.store.getSession(ann.session.userId)).not.toBeNull();
  });
});
