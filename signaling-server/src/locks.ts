/**
 * One critical section per key (a conference). In one process, `KeyedMutex`; with several
 * processes on one Redis, `RedisLocks` (cluster/redis-locks.ts).
 */
export interface Locks {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}
