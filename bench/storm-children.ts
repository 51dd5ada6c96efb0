/**
 * The processes of a storm: the server child (storm-server.ts, over IPC) and the client worker
 * threads (storm-clients.ts), and the pinning of processes to cores.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  ServerMessage,
  ServerOptions,
  ServerRequest,
  WorkerMessage,
  WorkerOptions,
  WorkerRequest,
} from './storm-protocol.ts';

/** The core the server gets to itself when pinning; everything of the bench else gets the other. */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/**
 * Pins every thread of a process to one core (`taskset -a`; threads created later inherit it).
 * On a 2-core machine an unpinned load generator takes CPU from the server whenever it likes,
 * and the server's event-loop lag then counts the time it waited for a core, not its own work.
 */
export function pinProcess(pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

export interface ServerHandle {
  port: number;
  pid: number;
  redisPid: number | null;
  request<T extends ServerMessage['type']>(
    type: ServerRequest['type'],
  ): Promise<Extract<ServerMessage, { type: T }>>;
  /** Waits up to `graceMs` for the process to exit by itself (profiles get written), then kills it. */
  kill(graceMs: number): Promise<void>;
}

export function startServerChild(options: ServerOptions, pin: boolean): Promise<ServerHandle> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./storm-server.ts', import.meta.url)),
    [JSON.stringify(options)],
    {
      // The parent's execArgv carries tsx's loader; --expose-gc makes RSS readings repeatable;
      // the young generation is sized as `npm run serve` sizes it.
      execArgv: [...process.execArgv, '--expose-gc', '--max-semi-space-size=32'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  if (pin && child.pid !== undefined) pinProcess(child.pid, SERVER_CORE);
  let nextId = 1;
  const waiting = new Map<number, (m: ServerMessage) => void>();
  return new Promise((resolve, reject) => {
    child.on('message', (message: ServerMessage) => {
      if (message.type === 'ready') {
        resolve({
          port: message.port,
          pid: child.pid ?? 0,
          redisPid: message.redisPid,
          request(type) {
            const id = nextId++;
            return new Promise((done) => {
              waiting.set(id, done as (m: ServerMessage) => void);
              child.send({ id, type } as ServerRequest);
            });
          },
          kill: (graceMs) =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
              child.once('exit', () => {
                clearTimeout(timer);
                done();
              });
            }),
        });
      } else if (message.type === 'failed') {
        console.error(`storm server: ${message.message}`);
        reject(new Error(`storm server: ${message.message}`));
      } else {
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
      }
    });
    // Before 'ready' only; later exits are awaited by kill().
    child.once('exit', (code) => reject(new Error(`storm server exited (${code})`)));
  });
}

export interface WorkerHandle {
  worker: Worker;
  /** The next message of this type. */
  next<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>>;
  send(request: WorkerRequest): void;
}

/**
 * Node 20 does not apply tsx's loader (registered by `--import` in the main thread) inside
 * worker threads, even with the same execArgv: the worker registers it itself, then loads the
 * TypeScript entry.
 */
export const WORKER_BOOT = new URL(
  `data:text/javascript,${encodeURIComponent(
    `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
register();
await import(${JSON.stringify(new URL('./storm-clients.ts', import.meta.url).href)});`,
  )}`,
);

export function startWorker(options: WorkerOptions): WorkerHandle {
  const worker = new Worker(WORKER_BOOT, {
    workerData: options,
    // Thousands of sockets churn short-lived objects: a larger young generation halves the
    // scavenges, CPU the load generator would otherwise take from the server it measures.
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  const waiters = new Map<string, (m: WorkerMessage) => void>();
  const early = new Map<string, WorkerMessage>();
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'error') {
      console.error(`client worker: ${message.message}`);
      return;
    }
    const waiter = waiters.get(message.type);
    if (waiter) {
      waiters.delete(message.type);
      waiter(message);
    } else early.set(message.type, message);
  });
  worker.on('error', (err) => console.error('client worker failed:', err));
  return {
    worker,
    next(type) {
      const seen = early.get(type);
      if (seen) {
        early.delete(type);
        return Promise.resolve(seen as never);
      }
      return new Promise((resolve) => waiters.set(type, resolve as (m: WorkerMessage) => void));
    },
    send: (request) => worker.postMessage(request),
  };
}
