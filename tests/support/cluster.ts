/**
 * Real signaling processes on one Redis (`REDIS_URL` mode), and a plain TCP load balancer in
 * front of them: what a deployment with several processes looks like, for tests that kill,
 * restart and fail over real processes (tests/integration/cluster.test.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../signaling-server/src/config.ts';

export interface NodeOptions {
  redisUrl: string;
  /** REDIS_PREFIX: one per test, so that clusters of different tests never meet. */
  redisPrefix: string;
  /** For messages and logs. */
  name: string;
  /** NODE_DEAD_AFTER_MS (the smallest the server accepts: a kill -9 is noticed fast). */
  nodeDeadAfterMs?: number;
  /** LOG_LEVEL (warn: the log holds what went wrong, not every request). */
  logLevel?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** How long to wait for "Meeting running at …". */
  startTimeoutMs?: number;
}

export interface HealthReply {
  status: number;
  body: { status?: string; node?: string };
}

/** One `node --import tsx signaling-server/src/main.ts` process. */
export class ServerProcess {
  /** The port it listens on; kept across restarts. */
  port = 0;
  /** Its node id (a new one after each restart). */
  nodeId = '';
  #child: ChildProcess | null = null;
  #output = '';
  readonly #staticDir: string;

  private constructor(readonly options: NodeOptions) {
    this.#staticDir = mkdtempSync(join(tmpdir(), 'meeting-cluster-static-'));
  }

  /** Spawns a process on a free port (PORT=0) and waits until it listens. */
  static async start(options: NodeOptions): Promise<ServerProcess> {
    const node = new ServerProcess(options);
    live.add(node);
    try {
      await node.#spawn(0);
    } catch (err) {
      await node.dispose();
      throw err;
    }
    return node;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Everything it wrote to stdout and stderr, across restarts. */
  get output(): string {
    return this.#output;
  }

  /** Its pino lines (JSON) at `level` or above (pino: 40 warn, 50 error). */
  logLines(minLevel = 0): Record<string, unknown>[] {
    return this.#output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => Number(l.level) >= minLevel);
  }

  /** Sends `signal` and resolves once the process has exited (SIGKILL after 5 s). */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill(signal);
    });
  }

  /** SIGKILL without waiting (for a process that is exiting itself). */
  killNow(): void {
    if (this.running) this.#child?.kill('SIGKILL');
  }

  /** Starts it again on the same port (it gets a new node id, as a restarted process does). */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`${this.options.name} is still running`);
    await this.#spawn(this.port);
  }

  /** GET /healthz. */
  async health(): Promise<HealthReply> {
    const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return { status: res.status, body: (await res.json()) as HealthReply['body'] };
  }

  /** Kills it if it runs and removes its temporary directory. */
  async dispose(): Promise<void> {
    await this.kill('SIGKILL');
    live.delete(this);
    rmSync(this.#staticDir, { recursive: true, force: true });
  }

  async #spawn(port: number): Promise<void> {
    const { options } = this;
    const child = spawn(process.execPath, ['--import', 'tsx', 'signaling-server/src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        REDIS_URL: options.redisUrl,
        REDIS_PREFIX: options.redisPrefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: options.logLevel ?? 'warn',
        NODE_DEAD_AFTER_MS: String(options.nodeDeadAfterMs ?? 1_500),
        STATIC_DIR: this.#staticDir,
        // Several processes on one host: each takes a free metrics port.
        METRICS_PORT: '0',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} did not start in time:\n${this.#output}`)),
        options.startTimeoutMs ?? 15_000,
      );
      let line = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        this.#output += text;
        line += text;
        const m = /Meeting running at http:\/\/localhost:(\d+) \(Redis mode, node ([^)]+)\)/.exec(line);
        if (m) {
          clearTimeout(timer);
          this.port = Number(m[1]);
          this.nodeId = String(m[2]);
          line = '';
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.#output += chunk.toString();
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (code ${code}, signal ${signal}):\n${this.#output}`));
      });
    });
    try {
      await listening;
    } catch (err) {
      await this.kill('SIGKILL');
      throw err;
    }
  }
}

/** Every process not yet disposed: killed if the test worker exits without cleaning up. */
const live = new Set<ServerProcess>();
process.once('exit', () => {
  for (const node of live) node.killNow();
});

/**
 * A TCP load balancer, the dumbest kind: round-robin over its backends, no stickiness, no idea
 * what socket.io is. A backend that refuses the connection (a dead process) is skipped for the
 * next one. Everything a client sends is piped once the backend connection is up. With one
 * backend it is a plain TCP proxy: `close()` then `listen()` is a network cut and its repair.
 */
export class TcpBalancer {
  /** Which backend port each accepted connection went to, in order (undefined: none took it). */
  readonly routes: (number | undefined)[] = [];
  /** Backend connections refused (and retried on the next backend). */
  failovers = 0;
  #next = 0;
  #port = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(private readonly backends: () => readonly number[]) {
    this.#server = createServer((client) => this.#accept(client));
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Listens on `port` (default: a free one; after `close()`, the same one again). */
  listen(port = this.#port): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address ? address.port : 0;
        resolve(this.#port);
      });
    });
  }

  /** Stops listening and cuts every connection (clients and backends see them drop). */
  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #accept(client: Socket): void {
    this.#track(client);
    client.pause();
    client.on('error', () => client.destroy());
    const ports = this.backends();
    const start = this.#next++;
    const route = this.routes.push(undefined) - 1;
    const attempt = (tried: number): void => {
      if (tried >= ports.length || client.destroyed) {
        client.destroy();
        return;
      }
      const port = ports[(start + tried) % ports.length] as number;
      const backend = createConnection({ host: '127.0.0.1', port });
      this.#track(backend);
      let connected = false;
      backend.once('connect', () => {
        connected = true;
        this.routes[route] = port;
        client.pipe(backend);
        backend.pipe(client);
        client.resume();
        client.once('close', () => backend.destroy());
        backend.once('close', () => client.destroy());
      });
      backend.on('error', () => {
        backend.destroy();
        // Refused: the next backend. Broken after connecting: the client's connection goes too.
        if (!connected) {
          this.failovers += 1;
          attempt(tried + 1);
        }
      });
    };
    attempt(0);
  }
}

/** Polls `check` every 20 ms until it returns a value; throws `what` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
