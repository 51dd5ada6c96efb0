/**
 * Media recovery on loopback with a CDP packet-loss rule (environment.md): the signaling socket
 * stays up, only A's WebRTC packets are dropped. Each test asserts the TSDK sequence on A, the
 * new handle linked to the original, and frames decoding again on every side.
 */
import { expect, type Page } from '@playwright/test';
import { prepareMediaCut } from 'resume-meeting/testing';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { test } from './support/fixtures.ts';
import {
  events,
  expectVideoFrom,
  history,
  joinByLink,
  mediaDiagnostics,
  ownHandle,
  RESUME_SEQUENCE,
  stuckRebuildsBetween,
} from './support/meeting.ts';

const EPISODE = RESUME_SEQUENCE;

const resumeEvents = async (page: Page, from: number) =>
  (await events(page)).slice(from).filter((e) => EPISODE.includes(e));

/** Why each episode since `from` began, but for a socket's own missed heartbeat. */
const episodeReasons = async (page: Page, from: number) =>
  (await history(page))
    .slice(from)
    .filter((n) => n.event === EPISODE[0])
    .map((n) => (n.data as { reason?: string }).reason)
    .filter((reason) => reason !== 'heartbeat-timeout');

const resuming = (page: Page) =>
  page.evaluate(() => window.meetingClient.resumeState.kind.startsWith('resuming'));

async function meetingOfThree(browser: import('@playwright/test').Browser, url: string, room: string) {
  let cut: Awaited<ReturnType<typeof prepareMediaCut>> | undefined;
  const a = await joinByLink(browser, url, room, 'Ada', {
    beforeJoin: async (page) => {
      cut = await prepareMediaCut(page);
    },
  });
  const b = await joinByLink(browser, url, room, 'Bob');
  const c = await joinByLink(browser, url, room, 'Cy');
  await expectVideoFrom(a.page, ['Bob', 'Cy']);
  await expectVideoFrom(b.page, ['Ada', 'Cy']);
  await expectVideoFrom(c.page, ['Ada', 'Bob']);
  if (!cut) throw new Error('media cut not prepared');
  return { a, b, c, media: cut };
}

test('short silent media cut (socket alive) → episode on A only, same peers heal without a rebuild, video back', async ({
  browser,
  server,
}) => {
  test.setTimeout(120_000);
  const { a, b, c, media } = await meetingOfThree(browser, server.url, 'cut-fast');
  // On a loaded machine a socket's heartbeat can time out while the meeting starts: an episode
  // still running would put its RESULT among this test's events.
  for (const p of [a, b, c]) await expect.poll(() => resuming(p.page)).toBe(false);
  const h0 = await ownHandle(a.page);
  const before = await Promise.all([a, b, c].map(async (p) => (await events(p.page)).length));
  const diagBefore = await mediaDiagnostics(a.page);

  await media.cut();
  // The stall detector sees the silence in about a second: the episode starts while cut. Who owns
  // it is then asked (outage-arbiter.ts): a socket ping whose deadline follows its replies (up to
  // 2 s), then a probe answered within 1 s; on a loaded CI machine 5 s did not suffice once.
  // Watched in the page, so the cut ends as soon as it begins: polled from here on a loaded
  // machine, the cut lasted up to 9 s and outlived the restarts' bound (a rebuild, on purpose).
  await a.page.waitForFunction(
    ({ from, start }) =>
      window.meetingClient.history.slice(from).some((n: { event: string }) => n.event === start),
    { from: before[0] ?? 0, start: EPISODE[0] },
    { polling: 50, timeout: 10_000 },
  );
  await media.restore();

  // A media episode's RESULT waits for media both ways. ICE restarts made while CDP dropped the
  // packets never connect, so it heals with the next one: 3–8 s after the restore here, 5–13 s
  // with a busy loop on one of the 2 cores.
  await expect.poll(() => resumeEvents(a.page, before[0] ?? 0), { timeout: 30_000 }).toEqual(EPISODE);
  const result = (await history(a.page)).slice(before[0]).find((n) => n.event === EPISODE[5]);
  expect(result?.param2).toBe(ResultCode.TSDK_SUCCESS);
  expect(result?.param1).not.toBe(h0);
  expect(result?.data).toMatchObject({ original_handle: h0 });

  await expectVideoFrom(a.page, ['Bob', 'Cy']);
  await expectVideoFrom(b.page, ['Ada', 'Cy']);
  await expectVideoFrom(c.page, ['Ada', 'Bob']);

  // The path healed inside the stall grace: the same peer objects (no rebuild), the same remote
  // tracks, no ICE restart needed. (An ICE restart completed while the CDP rule drops packets
  // never recovers here, so the restart fast path is proven on real networks: real-network.spec.)
  // Unless a decoder stayed stuck (starved-decoder.ts, 3 of 10 runs under load): that pair was
  // rebuilt on purpose, and signals that waited for A's resume can cost it one more link on a
  // side (an offer from the other side's old link reached the new one: mesh-rebuild-race.test).
  const diagAfter = await mediaDiagnostics(a.page);
  for (const other of [b, c]) {
    const userId = await other.page.evaluate(() => window.meetingClient.session?.userId);
    const peer = diagBefore.find((d) => d.userId === userId);
    const now = diagAfter.find((d) => d.userId === userId);
    expect(peer, 'A had a link to them before the cut').toBeDefined();
    if ((await stuckRebuildsBetween(a.page, other.page)) > 0) continue;
    expect(now?.generation, 'no rebuild but for a stuck decoder').toBe(peer?.generation);
    expect(now?.remoteTrackIds, 'no new remote track').toEqual(peer?.remoteTrackIds);
  }
  // B and C had one struggling peer among healthy ones: their problem was A's, not theirs. A
  // socket of theirs that missed its heartbeat is an outage of their own, and resumes: with a busy
  // loop on one core Cy's got `ping timeout` 5.7 s into A's outage (and CI saw Cy resume 8 s in).
  for (const [page, from] of [
    [b.page, before[1]],
    [c.page, before[2]],
  ] as const)
    expect(await episodeReasons(page, from ?? 0), "no episode for A's outage").toEqual([]);
});

test('media cut longer than the restart bound → peers rebuilt on the same local stream, video back', async ({
  browser,
  server,
}) => {
  test.setTimeout(120_000);
  const { a, b, c, media } = await meetingOfThree(browser, server.url, 'cut-rebuild');
  const h0 = await ownHandle(a.page);
  const before = (await events(a.page)).length;
  const generations = new Map((await mediaDiagnostics(a.page)).map((d) => [d.userId, d.generation]));
  const localStreamId = () => a.page.evaluate(() => window.meetingClient.localStream?.id);
  const streamBefore = await localStreamId();

  await media.cut();
  // ICE restarts cannot connect while the cut lasts: after the bound each peer is rebuilt
  // (a peer simple-peer destroys itself, at ~17 s, is rebuilt the same way).
  await expect
    .poll(
      async () =>
        (await mediaDiagnostics(a.page)).every((d) => d.generation > (generations.get(d.userId) ?? 0)),
      { timeout: 25_000, intervals: [1_000] },
    )
    .toBe(true);
  await media.restore();

  await expect.poll(() => resumeEvents(a.page, before)).toEqual(EPISODE);
  const result = (await history(a.page)).slice(before).find((n) => n.event === EPISODE[5]);
  expect(result).toMatchObject({ param2: 0, data: { original_handle: h0 } });
  // A link rebuilt while the path was still dead may need one more round of the watchdog
  // (restart, then rebuild again, within ~10 s): allow for it.
  await expectVideoFrom(a.page, ['Bob', 'Cy'], 30_000);
  await expectVideoFrom(b.page, ['Ada', 'Cy'], 30_000);
  await expectVideoFrom(c.page, ['Ada', 'Bob'], 30_000);
  expect(await localStreamId(), 'no new getUserMedia').toBe(streamBefore);
});
