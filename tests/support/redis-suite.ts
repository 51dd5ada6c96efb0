import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { startRedis, type TestRedis } from './redis.ts';

export interface RedisSuite {
  server: TestRedis;
  /** A new connection (as a separate server process would have); closed after the file. */
  connect(): Redis;
  /** A fresh key prefix under this file's run prefix; every such key is deleted after the file. */
  prefix(): string;
}

/**
 * `describe` with a throwaway Redis (or `REDIS_URL`). The server is started while the file is
 * collected, because whether the suite runs at all depends on it: without Redis, CI fails the
 * file and a developer's run skips it with the reason.
 */
export async function describeWithRedis(name: string, body: (redis: RedisSuite) => void): Promise<void> {
  const started = await startRedis().then(
    (server): TestRedis | Error => server,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  if (started instanceof Error) {
    if (process.env.CI === 'true')
      throw new Error(`${name} needs redis-server (or REDIS_URL) in CI: ${started.message}`);
    describe.skip(`${name} (skipped: no Redis: ${started.message})`, () => {
      it('needs redis-server on PATH or REDIS_URL', () => {});
    });
    return;
  }
  const server = started;
  const runPrefix = `test:${randomUUID()}:`;
  const clients: Redis[] = [];
  const connect = (): Redis => {
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };
  describe(name, () => {
    afterAll(async () => {
      const redis = connect();
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${runPrefix}*`, count: 1_000 })) {
        keys.push(...(batch as string[]));
      }
      for (let i = 0; i < keys.length; i += 1_000) await redis.del(...keys.slice(i, i + 1_000));
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      await server.stop();
    });
    body({ server, connect, prefix: () => `${runPrefix}${randomUUID()}:` });
  });
}
