/**
 * What the cluster tests share: a Redis per file, the processes, balancers and clients a test
 * starts (stopped after it, whatever happened), and the checks that a meeting spread over
 * processes lost and doubled nothing.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, expect } from 'vitest';
import type { ConfEvent } from '../../shared/src/payloads.ts';
import { ServerProcess, TcpBalancer } from '../support/cluster.ts';
import type { PersistentRedis, TestRedis } from '../support/redis.ts';
import { ok, TestClient } from './helpers.ts';

/** NODE_DEAD_AFTER_MS of every process here: the smallest the server accepts. */
export const DEAD_AFTER_MS = 1_500;

export interface ClusterRedis {
  /** A Redis others may share (REDIS_URL): this file's keys are deleted after it. */
  shared?: TestRedis;
  /** A Redis the file owns (tests stop and start it): started again after a test that left it stopped. */
  owned?: PersistentRedis;
}

export interface Cluster {
  /**
   * One process per Redis URL (all on one deployment: one key prefix). In parallel, unless
   * `staggered`: then one after the other, so that their heartbeats do not tick in step.
   */
  cluster(
    redisUrls: string[],
    options?: { staggered?: boolean; env?: Record<string, string> },
  ): Promise<ServerProcess[]>;
  balancer(backends: () => readonly number[]): Promise<TcpBalancer>;
  connect(url: string): Promise<TestClient>;
  guest(
    url: string,
    name: string,
  ): Promise<{ client: TestClient; session: Awaited<ReturnType<TestClient['login']>> }>;
}

/** Registers this file's hooks; call once, at the top level of a test file. */
export function useCluster({ shared, owned }: ClusterRedis): Cluster {
  /** Every key of this file starts with it (a shared REDIS_URL may hold other deployments). */
  const filePrefix = `test:cluster:${randomUUID()}:`;
  let nodes: ServerProcess[] = [];
  let balancers: TcpBalancer[] = [];
  let clients: TestClient[] = [];

  afterEach(async (ctx) => {
    // A failed test shows what its processes wrote (warnings and errors; LOG_LEVEL=warn).
    if (ctx.task.result?.state === 'fail') {
      for (const n of nodes)
        console.log(`--- ${n.options.name} (${n.nodeId}) output:\n${n.output.slice(-8_000)}`);
    }
    for (const c of clients) c.socket.disconnect();
    await Promise.all(balancers.map((b) => b.close()));
    await Promise.all(nodes.map((n) => n.dispose()));
    clients = [];
    balancers = [];
    nodes = [];
    // A test that failed while Redis was stopped leaves it running for the next one.
    if (owned && !owned.running) await owned.start();
  });

  afterAll(async () => {
    if (shared) {
      await deleteKeys(shared.url, filePrefix);
      await shared.stop();
    }
    if (owned) await owned.dispose();
  });

  const connect = async (url: string) => {
    const client = await TestClient.connect(url);
    clients.push(client);
    return client;
  };
  return {
    async cluster(redisUrls, { staggered = false, env = {} } = {}) {
      const redisPrefix = `${filePrefix}${randomUUID()}:`;
      const start = (redisUrl: string, i: number) =>
        ServerProcess.start({ redisUrl, redisPrefix, name: `node${i + 1}`, env }).then((n) => {
          nodes.push(n);
          return n;
        });
      if (!staggered) return Promise.all(redisUrls.map(start));
      const started: ServerProcess[] = [];
      for (const [i, url] of redisUrls.entries()) started.push(await start(url, i));
      return started;
    },
    async balancer(backends) {
      const lb = new TcpBalancer(backends);
      balancers.push(lb);
      await lb.listen();
      return lb;
    },
    connect,
    async guest(url, name) {
      const client = await connect(url);
      return { client, session: await client.login(name) };
    },
  };
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1_000 })) {
      keys.push(...(batch as string[]));
    }
    for (let i = 0; i < keys.length; i += 1_000) await redis.del(...keys.slice(i, i + 1_000));
  } finally {
    redis.disconnect();
  }
}

export const chat = (client: TestClient, handle: number, text: string) =>
  client.call('chat:send', { handle, id: randomUUID(), text }).then(ok);

export const hasSeq = (client: TestClient, seq: number) => () => client.events.some((e) => e.seq === seq);

/** Each event once, in order, none missing: seqs from `after + 1`, consecutive. */
export function expectConsecutive(events: ConfEvent[], after: number, who: string): void {
  expect(
    events.map((e) => e.seq),
    who,
  ).toEqual(Array.from({ length: events.length }, (_, i) => after + 1 + i));
}

/**
 * A chat from `from`, awaited by every client: everything sent before it (by any process) has
 * arrived, so a duplicate of an earlier event would be in the lists by now.
 */
export async function barrier(from: { client: TestClient; handle: number }, everyone: TestClient[]) {
  const { seq } = await chat(from.client, from.handle, 'barrier');
  await Promise.all(everyone.map((c) => c.until(hasSeq(c, seq), `barrier ${seq}`, 5_000)));
  return seq;
}

export function expectNoErrors(...processes: ServerProcess[]): void {
  for (const n of processes) expect(n.logLines(50), `${n.options.name} errors`).toEqual([]);
}
