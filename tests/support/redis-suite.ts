import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { requireRedis, startRedis, type TestRedis } from './redis.ts';

export interface RedisSuite {
  server: TestRedis;
  /** A new connection (as a separate server process would have); closed after the file. */
  connect(): Redis;
  /** A fresh key prefix under this file's run prefix; every such key is deleted after the file. */
  prefix(): string;
}

/** `describe` with a throwaway Redis (or `REDIS_URL`); without one the file fails (requireRedis). */
export async function describeWithRedis(name: string, body: (redis: RedisSuite) => void): Promise<void> {
  const server = await requireRedis(name, startRedis);
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
