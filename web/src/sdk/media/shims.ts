/*
 * simple-peer@9 and its dependencies (readable-stream@3, randombytes, debug) were written for
 * browserify, which provided Node globals. Vite provides none, so this module — imported
 * before simple-peer — supplies the few they touch:
 * - `global` (randombytes reads `global.crypto`; readable-stream and util-deprecate too);
 * - `process.nextTick` (readable-stream schedules everything with it) and `process.env`
 *   (debug reads `process.env.DEBUG` when `process` exists).
 * `Buffer` comes from the `buffer` package that simple-peer requires itself, and `events` from
 * the `events` package: both resolve to their npm versions in the bundle, not Node built-ins.
 */
type ProcessShim = {
  env: Record<string, string>;
  nextTick: (fn: (...args: unknown[]) => void, ...args: unknown[]) => void;
};

const g = globalThis as unknown as { global?: typeof globalThis; process?: Partial<ProcessShim> };

g.global ??= globalThis;
g.process ??= {};
g.process.env ??= {};
g.process.nextTick ??= (fn, ...args) => queueMicrotask(() => fn(...args));

export {};
