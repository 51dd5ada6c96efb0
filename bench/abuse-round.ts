/** One round of bench:abuse: the honest pair alone, then under flood while Bob resumes. */
import type { ConfEvent } from '../shared/src/payloads.ts';
import { attackFromAnotherProcess } from './abuse-attacker.ts';
import { call, chatter, connect, type Honest, listen, onEvent } from './abuse-clients.ts';
import { phase, summary } from './abuse-latency.ts';
import { rssMB, serverCounters } from './abuse-server.ts';

/**
 * One round: `seconds` of the honest pair alone, then seconds of flood from a fresh attacker
 * process while the pair keeps chatting and Bob resumes half-way. Rounds alternate the two
 * phases so both see the same machine (these machines are noisy): the ratio is side by side.
 */
export async function round(
  seconds: number,
  server: { url: string; metricsUrl: string },
  pid: number,
  ann: Honest,
  bob: Honest,
  room: string,
  index: number,
) {
  const baseAnn = new Map<string, number>();
  const baseBob = new Map<string, number>();
  await Promise.all([
    chatter(ann, baseAnn, seconds * 1_000, `base${index}`),
    chatter(bob, baseBob, seconds * 1_000, `base${index}`),
  ]);
  await new Promise((r) => setTimeout(r, 1_000));
  const baseline = phase(ann, bob, baseAnn, baseBob);

  const rss: number[] = [];
  // A scrape first: prom-client's event-loop lag figures then cover the flood alone.
  await (await fetch(server.metricsUrl)).text();
  const rssStart = rssMB(pid);
  const sampler = setInterval(() => rss.push(rssMB(pid)), 100);
  const floodAnn = new Map<string, number>();
  const floodBob = new Map<string, number>();
  let away: [number, number] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const until = performance.now() + seconds * 1_000;

  // Bob resumes half-way: new socket, login resume, conference resume with his last seq.
  const resume = (async () => {
    await new Promise((r) => setTimeout(r, (seconds * 1_000) / 2));
    const started = performance.now();
    away = [started, Number.POSITIVE_INFINITY];
    bob.socket.disconnect();
    const socket = await connect(server.url);
    const login = await call(socket, 'resume', { token: bob.token });
    if (login.code !== 0) return { ok: false, code: login.code, ms: performance.now() - started };
    bob.token = login.resumeToken as string;
    listen(bob, socket);
    const conf = await call(socket, 'conf:resume', { handle: bob.handle, lastSeq: bob.lastSeq });
    bob.socket = socket;
    if (conf.code !== 0) return { ok: false, code: conf.code, ms: performance.now() - started };
    bob.handle = conf.handle as number;
    away = [started, performance.now()];
    const replay = conf.replay as { code: number; events?: ConfEvent[] };
    for (const e of replay.events ?? []) onEvent(bob, e, true);
    return {
      ok: true,
      ms: +(performance.now() - started).toFixed(1),
      replayed: replay.events?.length ?? null,
      replayCode: replay.code,
    };
  })();

  const [attack, , , resumed] = await Promise.all([
    attackFromAnotherProcess(server.url, room, [ann.handle, bob.handle], until - performance.now()),
    chatter(ann, floodAnn, seconds * 1_000, `flood${index}`),
    chatter(bob, floodBob, seconds * 1_000, `flood${index}`),
    resume,
  ]);
  await new Promise((r) => setTimeout(r, 2_000));
  clearInterval(sampler);
  // Messages written while Bob was away (or that he got through his resume's replay) waited for
  // the resume, not for the flood: counted for loss, not for latency.
  const duringGap = new Set(
    [...floodAnn, ...floodBob].filter(([, t]) => t >= away[0] && t <= away[1]).map(([id]) => id),
  );
  const skip = new Set([...duringGap, ...bob.replayed]);
  const flood = { ...phase(ann, bob, floodAnn, floodBob, skip), notTimed: skip.size };
  const lag = await serverCounters(server.metricsUrl);
  return {
    baseline,
    flood,
    attack,
    resumed,
    rssGrowthMB: Math.max(...rss, rssStart) - rssStart,
    eventLoopLagMaxMs: +((lag.nodejs_eventloop_lag_max_seconds ?? 0) * 1_000).toFixed(1),
    p99: { baseline: summary(baseline.ms).p99, flood: summary(flood.ms).p99 },
  };
}

export type Round = Awaited<ReturnType<typeof round>>;
