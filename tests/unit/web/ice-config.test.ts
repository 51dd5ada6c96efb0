/**
 * The SDK takes its STUN/TURN servers from the server (spec §10): login (and resume) replies,
 * renewed before the TURN credentials expire; an app's own servers win. And a participant no
 * link to whom ever connects is reported as unreachable instead of leaving a black tile.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Mesh } from '../../../web/src/sdk/media/mesh.ts';
import { MeetingClient } from '../../../web/src/sdk/meeting-client.ts';
import { fakeLinks, fakeStream } from './fake-link.ts';
import { startFakeServer } from './fake-server.ts';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function setup(options: { iceServers?: RTCIceServer[] } = {}) {
  const server = await startFakeServer();
  const { links, createLink } = fakeLinks();
  const client = new MeetingClient({
    url: server.url,
    requestTimeoutMs: 500,
    createLink,
    getUserMedia: async () => fakeStream(),
    environment: null,
    ...options,
  });
  cleanup.push(server.close, () => client.destroy());
  return { server, client, links };
}

const turn = (expiresInS: number) => ({
  urls: ['turn:10.9.9.9:3478?transport=udp'],
  username: `${Math.ceil(Date.now() / 1_000) + expiresInS}:u-me`,
  credential: 'c2VjcmV0',
});

describe('ICE configuration from the server', () => {
  it('links are made with the servers and policy of the login reply', async () => {
    const { server, client, links } = await setup();
    server.state.ice = {
      iceServers: [{ urls: ['stun:10.9.9.9:3478'] }, turn(3_600)],
      iceTransportPolicy: 'relay',
    };
    await client.login({ name: 'me' });
    await client.join('r1');
    await tick(0);
    expect(links[0]?.options.iceServers).toEqual(server.state.ice.iceServers);
    expect(links[0]?.options.iceTransportPolicy).toBe('relay');
  });

  it("an app's own servers win over the server's", async () => {
    const own = [{ urls: 'stun:own.example:3478' }];
    const { server, client, links } = await setup({ iceServers: own });
    server.state.ice = { iceServers: [turn(3_600)] };
    await client.login({ name: 'me' });
    await client.join('r1');
    await tick(0);
    expect(links[0]?.options.iceServers).toEqual(own);
  });

  it('renews TURN credentials before they expire and hands them to live links', async () => {
    const { server, client, links } = await setup();
    server.state.ice = { iceServers: [turn(1)] };
    await client.login({ name: 'me' });
    await client.join('r1');
    await tick(0);
    const renewed = { iceServers: [turn(3_600)] };
    server.state.ice = renewed;
    // 80 % of a 1–2 s lifetime.
    await expect.poll(() => server.state.iceRefreshes, { timeout: 3_000 }).toBe(1);
    await tick();
    expect(links[0]?.iceConfigs.at(-1)).toEqual({
      iceServers: renewed.iceServers,
      iceTransportPolicy: 'all',
    });
  });
});

/** A mesh of local user 'm' on virtual time, its local media started; what it sends, by handle and type. */
async function meshOfM(maxFrames: number) {
  const scheduler = new VirtualTimeScheduler(undefined, maxFrames);
  const { links, createLink } = fakeLinks();
  const sent: { to: number; type: string }[] = [];
  const mesh = new Mesh({
    port: { sendSignal: (to, data) => sent.push({ to, type: 'type' in data ? String(data.type) : '?' }) },
    createLink,
    getUserMedia: async () => fakeStream(),
    scheduler,
  });
  cleanup.push(() => mesh.destroy());
  mesh.setLocalUser('m');
  mesh.setLocalHandle(1);
  await mesh.startLocalMedia();
  return { mesh, scheduler, links, sent };
}

describe('unreachable participants', () => {
  it('no link connected within 10 s: reported; a link that connects later clears it', async () => {
    const { mesh, scheduler, links } = await meshOfM(10_000);
    const seen: string[][] = [];
    mesh.unreachable$.subscribe((set) => seen.push([...set]));
    mesh.addPeer('a', 10);
    mesh.addPeer('b', 11);
    links[1]?.setState({ connectionState: 'connected' }); // b connects in time
    scheduler.flush();
    expect(seen.at(-1)).toEqual(['a']);
    mesh.rebuildPeer('a');
    links[2]?.setState({ connectionState: 'connected' });
    expect(seen).toEqual([[], ['a'], []]);
  });

  it('the initiator makes a first link that has not connected again after 5 s, then 10, 20, 40 and every 40 s; the other side does not', async () => {
    const { mesh, scheduler, links, sent } = await meshOfM(0);
    const reconnecting: string[][] = [];
    const unreachable: string[][] = [];
    mesh.reconnecting$.subscribe((set) => reconnecting.push([...set]));
    mesh.unreachable$.subscribe((set) => unreachable.push([...set]));
    mesh.addPeer('a', 10); // 'a' < 'm': a initiates, we wait
    mesh.addPeer('z', 11); // we initiate
    const linksAt = (ms: number) => {
      scheduler.maxFrames = ms;
      scheduler.flush();
      return links.map((l) => l.options.initiator);
    };
    expect(linksAt(4_999)).toEqual([false, true]);
    expect(linksAt(5_000)).toEqual([false, true, true]);
    expect(sent.filter((s) => s.to === 11 && s.type === 'restart')).toHaveLength(1);
    expect(linksAt(10_000)).toHaveLength(3);
    // No path broke: the tile says the network may block the video, not "reconnecting".
    expect(unreachable.at(-1)).toEqual(['a', 'z']);
    expect(reconnecting.flat()).toEqual([]);
    expect(linksAt(14_999)).toHaveLength(3);
    expect(linksAt(15_000)).toHaveLength(4);
    expect(linksAt(35_000)).toHaveLength(5);
    expect(linksAt(75_000)).toHaveLength(6);
    expect(linksAt(114_999)).toHaveLength(6);
    links.at(-1)?.setState({ connectionState: 'connected' });
    expect(unreachable.at(-1)).toEqual(['a']);
    expect(linksAt(400_000)).toHaveLength(6);
    expect(sent.filter((s) => s.to === 10 && s.type === 'restart')).toEqual([]);
  });
});
