/*
 * simple-peer@9 and what it still pulls in (queue-microtask, get-browser-rtc, events) were
 * written for browserify, which provided Node globals. Vite provides none, so this module,
 * imported before simple-peer, supplies the few that code may touch: `global` (queue-microtask
 * outside a window) and `process.nextTick` / `process.env`. `readable-stream`, `buffer`,
 * `randombytes` and `debug` are replaced at build time by the stand-ins in `stubs/`
 * (vite.config.ts), `events` by its npm port.
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
