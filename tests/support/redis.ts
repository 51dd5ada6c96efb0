import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  /** Kills the spawned server (a no-op for a `REDIS_URL` server, which is not ours). */
  stop(): Promise<void>;
}

/**
 * Starts a Redis for `what`, or fails it saying how to get one. Tests that need Redis never skip:
 * `npm test` runs every test, and a run without Redis is a machine not set up, not a pass.
 */
export async function requireRedis<R extends TestRedis>(what: string, start: () => Promise<R>): Promise<R> {
  try {
    return await start();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `${what} needs redis-server on PATH (scripts/install-test-deps.sh installs it) or REDIS_URL: ${reason}`,
    );
  }
}

/**
 * A throwaway Redis for tests: `redis-server` (or `$REDIS_SERVER`) on a free port of 127.0.0.1,
 * without persistence, killed by `stop()`. With `REDIS_URL` set, that server is used instead and
 * nothing is spawned. Rejects with a clear message when no server can be had.
 */
export async function startRedis(timeoutMs = 10_000): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external) {
    const url = new URL(external);
    const port = Number(url.port || 6379);
    await waitForPing(url.hostname || '127.0.0.1', port, timeoutMs);
    return { url: external, port, stop: async () => {} };
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await spawnRedis(await freePort(), timeoutMs);
    } catch (err) {
      lastError = err;
      // A missing binary will not appear on a retry.
      if (err instanceof Error && err.message.includes('ENOENT')) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/**
 * A Redis this test owns, with AOF persistence fsynced on every write (how a production Redis
 * under a signaling deployment should run: a restart loses nothing). `stop()` ends it the way
 * an operator does (SIGTERM, waits for the exit); `start()` starts it again on the same port and
 * directory, where it reloads its state. `dispose()` stops it and removes the directory.
 * Never uses `REDIS_URL`: a test that restarts Redis must own it.
 */
export interface PersistentRedis extends TestRedis {
  readonly dir: string;
  readonly running: boolean;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startPersistentRedis(timeoutMs = 10_000): Promise<PersistentRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'meeting-redis-aof-'));
  const persistence = ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  let current: TestRedis | null = null;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !current; attempt++) {
    try {
      current = await spawnRedis(await freePort(), timeoutMs, persistence);
    } catch (err) {
      lastError = err;
      if (err instanceof Error && err.message.includes('ENOENT')) break;
    }
  }
  if (!current) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
  const { url, port } = current;
  let server: TestRedis | null = current;
  const stop = async () => {
    const stopping = server;
    server = null;
    await stopping?.stop();
  };
  return {
    url,
    port,
    dir,
    get running() {
      return server !== null;
    },
    stop,
    async start() {
      if (server) throw new Error('Redis is already running');
      server = await spawnRedis(port, timeoutMs, persistence);
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function spawnRedis(
  port: number,
  timeoutMs: number,
  persistence: string[] = ['--save', '', '--appendonly', 'no'],
): Promise<TestRedis> {
  const bin = process.env.REDIS_SERVER ?? 'redis-server';
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${bin}: ${err.message}`)));
    child.once('exit', (code, signal) =>
      reject(new Error(`${bin} exited early (code ${code}, signal ${signal}): ${output.trim()}`)),
    );
  });
  exited.catch(() => {}); // observed below; avoid an unhandled rejection once stopped
  try {
    await Promise.race([waitForPing('127.0.0.1', port, timeoutMs), exited]);
  } catch (err) {
    await kill(child);
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => kill(child) };
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server answers PING with PONG (raw RESP, no client library). */
async function waitForPing(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    try {
      if (await pingOnce(host, port)) return;
      lastError = 'no PONG';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Redis at ${host}:${port} did not answer PING within ${timeoutMs} ms (${lastError})`);
}

function pingOnce(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let reply = '';
    socket.setTimeout(1_000, () => {
      socket.destroy();
      reject(new Error('PING timed out'));
    });
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        // A password-protected server answers -NOAUTH: it is up, the client will authenticate.
        resolve(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
      }
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}
