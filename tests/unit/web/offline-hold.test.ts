/**
 * With no network at all, every link holds its video (outgoing-media.ts) until its other side is
 * heard again: Chrome would queue what it encodes and deliver it stale when the link is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RecoveryMode } from '../../../web/src/sdk/media/recover-media.ts';
import { MeetingClient } from '../../../web/src/sdk/meeting-client.ts';
import { fakeLinks, fakeStream } from './fake-link.ts';
import { startFakeServer } from './fake-server.ts';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function inConference(mediaRecovery: RecoveryMode) {
  const server = await startFakeServer();
  const { links, createLink } = fakeLinks();
  const window = new EventTarget();
  const client = new MeetingClient({
    url: server.url,
    requestTimeoutMs: 500,
    createLink,
    getUserMedia: async () => fakeStream(),
    environment: { window: window as unknown as Window },
    mediaRecovery,
  });
  cleanup.push(server.close, () => client.destroy());
  await client.login({ name: 'me' });
  await client.join('r1');
  await tick(0);
  return { window, links };
}

describe('offline: links hold their video', () => {
  it('every link holds on `offline`; `online` adds no hold', async () => {
    const { window, links } = await inConference('fast');
    expect(links).toHaveLength(1);
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    await tick();
    expect(links.map((l) => l.holds)).toEqual([1]);
  });

  it('the naive recovery (the benchmark baseline) holds nothing', async () => {
    const { window, links } = await inConference('naive');
    window.dispatchEvent(new Event('offline'));
    await tick();
    expect(links.map((l) => l.holds)).toEqual([0]);
  });
});
