import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { ConfEvent } from '../../shared/src/payloads.ts';
import type {
  ClientToServerEvents,
  ConfResumeInfo,
  JoinInfo,
  Reply,
  ServerToClientEvents,
  SessionInfo,
  SignalDelivery,
} from '../../shared/src/protocol.ts';
import { ManualClock } from '../../signaling-server/src/clock.ts';
import { type ConfigOverrides, defaultConfig } from '../../signaling-server/src/config.ts';
import { createLogger } from '../../signaling-server/src/logger.ts';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/server.ts';
import { MemoryStore, type MemoryStoreOptions } from '../../signaling-server/src/store/memory-store.ts';
import type { Store } from '../../signaling-server/src/store/store.ts';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
/** The same socket without the typed map, to send what a well-behaved client never would. */
export type LooseClient = { emit(event: string, ...args: unknown[]): unknown };

export interface TestServer {
  url: string;
  /** `/metrics`, on its own port. */
  metricsUrl: string;
  clock: ManualClock;
  store: MemoryStore;
  server: SignalingServer;
  /** The (temporary, initially empty) STATIC_DIR. */
  staticDir: string;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Raw log text, to check that no secret was ever written. */
  rawLogs: () => string;
  /** `auth`: what the handshake carries (e.g. a `ResumeAuth`, or anything, to test refusals). */
  connect(auth?: object): Promise<TestClient>;
  close(): Promise<void>;
}

/**
 * Per-session quotas out of the way, for tests that flood on purpose to prove something else
 * (a login limit, replay of 1 000 chats, fuzzing): quotas.test.ts proves the quotas themselves.
 */
export const UNLIMITED_QUOTAS = {
  chat: { burst: 1_000_000, perMinute: 1_000_000 },
  signal: { burst: 1_000_000, perMinute: 1_000_000 },
  signalBytes: { burst: 1e12, perMinute: 1e12 },
  control: { burst: 1_000_000, perMinute: 1_000_000 },
  disconnectAfter: 1_000_000,
} as const;

export interface StartOptions {
  config?: ConfigOverrides;
  store?: Omit<MemoryStoreOptions, 'clock'>;
  /** Wraps the store the server uses (to inject failures); `TestServer.store` stays the inner one. */
  wrapStore?: (store: MemoryStore) => Store;
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock, ...options.store });
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  const staticDir = mkdtempSync(join(tmpdir(), 'meeting-static-'));
  // Metrics on a free port (port 0): tests run in parallel, 9464 would collide.
  const config = defaultConfig({ staticDir, metrics: { port: 0, host: '127.0.0.1' }, ...options.config });
  const server = createSignalingServer({ config, store: options.wrapStore?.(store) ?? store, clock, logger });
  const { port, metricsPort } = await server.listen(0, '127.0.0.1');
  const url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  // The server's own certificate is the CA of a self-signed one: the client checks it for real.
  const ca = config.tls?.cert.toString();
  const clients: TestClient[] = [];
  return {
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    clock,
    store,
    server,
    staticDir,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    rawLogs: () => lines.join(''),
    async connect(auth?: object) {
      const client = await TestClient.connect(url, ca, auth);
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.socket.disconnect();
      await server.close();
      rmSync(staticDir, { recursive: true, force: true });
    },
  };
}

/** A real socket.io-client socket that records everything the server sends it. */
export class TestClient {
  readonly events: ConfEvent[] = [];
  readonly signals: SignalDelivery[] = [];
  readonly ended: Parameters<ServerToClientEvents['conf:ended']>[0][] = [];
  /** Every `resume:result` (the reply to a resume the handshake carried). */
  readonly resumeResults: Parameters<ServerToClientEvents['resume:result']>[0][] = [];
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: Client) {
    socket.on('resume:result', (r) => this.#record(() => this.resumeResults.push(r)));
    socket.on('conf:event', (e) => this.#record(() => this.events.push(e)));
    socket.on('signal', (s) => this.#record(() => this.signals.push(s)));
    socket.on('conf:ended', (e) => this.#record(() => this.ended.push(e)));
  }

  /** `ca`: the PEM certificate to trust for a `https://` url. */
  static connect(url: string, ca?: string, auth?: object): Promise<TestClient> {
    const socket: Client = connectClient(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(ca === undefined ? {} : { ca }),
      ...(auth === undefined ? {} : { auth: auth as Record<string, unknown> }),
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new TestClient(socket)));
      socket.once('connect_error', reject);
    });
  }

  get loose(): LooseClient {
    return this.socket as unknown as LooseClient;
  }

  #record(push: () => void): void {
    push();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once `check` returns a value (checked now and after every inbound event). */
  async until<T>(check: () => T | undefined | false, what = 'event', timeoutMs = 3_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first conf:event of this kind (after index `from`) matching `where`. */
  event<K extends ConfEvent['kind']>(
    kind: K,
    where: (e: Extract<ConfEvent, { kind: K }>) => boolean = () => true,
  ): Promise<Extract<ConfEvent, { kind: K }>> {
    return this.until(
      () =>
        this.events.find((e): e is Extract<ConfEvent, { kind: K }> => e.kind === kind && where(e as never)),
      `conf:event ${kind}`,
    );
  }

  /** A round trip: everything the server sent before answering has arrived. */
  async settle(): Promise<void> {
    await this.call('ping', {});
  }

  call<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Parameters<Parameters<ClientToServerEvents[E]>[1]>[0]> {
    return this.callRaw(event, payload) as Promise<Parameters<Parameters<ClientToServerEvents[E]>[1]>[0]>;
  }

  /** Sends anything (bad payloads) and returns the ack's reply. */
  callRaw(event: string, ...args: unknown[]): Promise<unknown> {
    const s = this.socket.timeout(5_000) as unknown as {
      emitWithAck(event: string, ...args: unknown[]): Promise<unknown>;
    };
    return s.emitWithAck(event, ...args);
  }

  async login(name: string, password?: string): Promise<SessionInfo> {
    return ok(await this.call('login', password === undefined ? { name } : { name, password }));
  }

  async join(room: string): Promise<JoinInfo> {
    return ok(await this.call('conf:join', { room }));
  }

  async resume(token: string): Promise<SessionInfo> {
    return ok(await this.call('resume', { token }));
  }

  async confResume(handle: number, lastSeq: number): Promise<ConfResumeInfo> {
    return ok(await this.call('conf:resume', { handle, lastSeq }));
  }

  /** Closes from the client side (the server sees a disconnect at once). */
  disconnect(): void {
    this.socket.disconnect();
  }

  /** Resolves when the server has closed this socket. */
  closedByServer(): Promise<string> {
    if (!this.socket.connected) return Promise.resolve('already closed');
    return new Promise((resolve) => this.socket.once('disconnect', (reason) => resolve(reason)));
  }

  lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }
}

/** The success part of a reply; throws with the code otherwise. */
export function ok<T extends object>(reply: Reply<T>): { code: 0 } & T {
  if (reply.code !== 0) throw new Error(`expected success, got ${reply.code}: ${reply.message}`);
  return reply;
}

/** Polls `check` (e.g. the store) until it holds; for state no socket event announces. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A guest logged in on its own socket. */
export async function guestOn(server: TestServer, name: string) {
  const client = await server.connect();
  const session = await client.login(name);
  return { client, session };
}

/**
 * Ann and Bob in room r1; Ann's socket then drops: her seat is held, and Bob's `status` event
 * (Ann reconnecting) is returned with the rest.
 */
export async function dropAnn(server: TestServer) {
  const ann = await guestOn(server, 'Ann');
  const bob = await guestOn(server, 'Bob');
  const ja = await ann.client.join('r1');
  const jb = await bob.client.join('r1');
  await ann.client.until(() => ann.client.events.length === 1, 'bob joined');
  ann.client.disconnect();
  const status = await bob.client.event('status');
  return { ann, bob, ja, jb, status, annLastSeq: ann.client.lastSeq() };
}
