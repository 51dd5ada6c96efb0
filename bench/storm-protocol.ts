/**
 * What the storm bench's three kinds of thread say to each other: the orchestrator
 * (storm.ts), the server child process (storm-server.ts) and the client workers
 * (storm-clients.ts). Types and constants only, so every side imports it without side effects.
 */

/**
 * `product`: our signaling server and resume protocol. `csr`: a plain socket.io server with
 * connection-state recovery, the reference.
 */
export type SystemKind = 'product' | 'csr';
export type StoreKind = 'memory' | 'redis';
/**
 * `wire`: the cheap participants of storm-wire-participants.ts (the default). `sdk`: socket.io-client
 * with the SDK's real SignalClient and resume pipeline (storm-product-participant.ts), ~4× the CPU.
 */
export type ClientKind = 'wire' | 'sdk';

/** Participants per conference (the "conferences of 4"). */
export const ROOM_SIZE = 4;

/** `monitorEventLoopDelay` sampling interval; its samples include it, so it is subtracted. */
export const LOOP_RESOLUTION_MS = 10;

export interface ServerOptions {
  system: SystemKind;
  store: StoreKind;
  /** With `store: 'redis'`. */
  redisUrl?: string;
  /** Key prefix in Redis (each storm also has its own redis-server). */
  keyPrefix: string;
  /** Write a CPU profile of the storm (measure → lag) to this file. */
  profilePath?: string;
}

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  /** Redis `used_memory` (whole server), when the store is Redis. */
  redisUsedBytes: number | null;
}

export interface LoopLag {
  /** Delay beyond the sampling interval, in ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  /** Highest RSS seen (sampled every 100 ms) while measuring. */
  rssPeakBytes: number;
}

/** Orchestrator → server child; each request has an id that its answer repeats. */
export type ServerRequest =
  | { id: number; type: 'memory' }
  /** The drop is next: start measuring loop lag, CPU and peak RSS. */
  | { id: number; type: 'measure' }
  | { id: number; type: 'lag' }
  | { id: number; type: 'stop' };

export type ServerMessage =
  /** `redisPid`: the Redis server's process (to pin it), when the store is Redis. */
  | { type: 'ready'; port: number; redisPid: number | null }
  | { type: 'failed'; message: string }
  | { id: number; type: 'memory'; memory: MemorySample }
  /** `connections`: TCP connections open at the server when measuring started. */
  | { id: number; type: 'measuring'; connections: number }
  | { id: number; type: 'lag'; lag: LoopLag }
  | { id: number; type: 'stopped' };

export interface WorkerOptions {
  system: SystemKind;
  clients: ClientKind;
  url: string;
  /** Global participant indices [from, to); conferences are ROOM_SIZE consecutive indices. */
  from: number;
  to: number;
  jitter: boolean;
  /** Logins/connects in flight per worker while setting up. */
  setupConcurrency: number;
  /** Distinguishes storms sharing one server namespace (guest names, rooms). */
  tag: string;
  /** `--profile`: a CPU profile of this worker from the arm to its results, written here. */
  profilePath?: string;
}

/** Orchestrator → client worker. */
export type WorkerRequest =
  /** The drop is next: forget anything before it. */
  | { type: 'arm' }
  /** Tear down every participant's TCP connection now. */
  | { type: 'drop' }
  /** Send results now, finished or not (the orchestrator's deadline passed). */
  | { type: 'report' }
  | { type: 'close' };

export interface WorkerResults {
  /** Wall-clock ms of each participant's conference resume (or CSR recovery); NaN if none. */
  doneAt: Float64Array;
  /** Product only: wall-clock ms of the login resume; NaN if none. */
  loginAt: Float64Array;
  /** Wall-clock ms at which each participant saw its socket close after the drop; NaN if not. */
  closedAt: Float64Array;
  /** Attempts (new sockets opened) per participant after the drop. */
  attempts: Uint16Array;
  /** Participants that saw their socket close after the drop. */
  disconnected: number;
  /** Why participants ended without resuming: result code name (or reason) → count. */
  failures: Record<string, number>;
  /** Resume episodes that started before the drop (heartbeat losses while setting up). */
  episodesBeforeDrop: number;
  /**
   * This worker's own event-loop delay from the drop on (ms beyond the interval): how busy the
   * load generator itself was.
   */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
}

export type WorkerMessage =
  | { type: 'ready'; connected: number; setupFailures: Record<string, number> }
  | { type: 'armed' }
  /** `at`: wall-clock ms just before this worker's first connection was torn down. */
  | { type: 'dropped'; at: number; sockets: number; tookMs: number }
  /** `complete`: every participant resumed or gave up. */
  | { type: 'results'; complete: boolean; results: WorkerResults }
  | { type: 'closed' }
  | { type: 'error'; message: string };
