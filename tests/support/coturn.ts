/**
 * A throwaway TURN server for tests: Debian's coturn (`turnserver`, or `$TURNSERVER`) as a plain
 * process with its own config file in a temp dir, REST-API credentials (`use-auth-secret`), no
 * TLS/DTLS/CLI, listening and relaying only on the addresses it is given (loopback, or a lab
 * address inside a network namespace through `ip netns exec`). Ready once it answers a STUN
 * Binding request; stopped by its pid (by `stop()`, or at process exit / on SIGINT/SIGTERM).
 * The temp dir (config, log, pidfile) is removed by `stop()` unless `keepLog` is asked for,
 * so a failing test can attach or keep the log.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * TURN REST credentials (draft-uberti-behave-turn-rest, coturn's `use-auth-secret`): the
 * username is `<unix expiry>:<userId>`, the credential `base64(HMAC-SHA1(secret, username))`.
 * Pure: the clock is a parameter.
 */
export function turnCredentials(
  secret: string,
  userId: string,
  ttlS: number,
  nowMs: number,
): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

export type TurnTransport = 'udp' | 'tcp';

export interface CoturnOptions {
  /** Addresses to listen and relay on (`listening-ip`, `relay-ip`). Default `['127.0.0.1']`. */
  addresses?: string[];
  /**
   * Peer ranges coturn may relay to, as `FROM-TO` (`10.201.0.0-10.201.255.255`) or one address.
   * Everything else is denied (`denied-peer-ip=0.0.0.0-255.255.255.255`): a test TURN server
   * must never relay anywhere but the test's own addresses. Default: the loopback range, with
   * `allow-loopback-peers`.
   */
  allowedPeers?: string[];
  /** Run inside this network namespace (`ip netns exec`); the addresses must exist there. */
  netns?: string;
  /** Shared secret (default: random). */
  secret?: string;
  realm?: string;
  /** Listening port (TCP and UDP); default: a free one. */
  port?: number;
  /** Relay port range; default: a free block of 200. */
  relayPorts?: { min: number; max: number };
  startTimeoutMs?: number;
}

export interface Coturn {
  /** `turn:IP:PORT?transport=…`, one per address. */
  urls(transport?: TurnTransport): string[];
  /** `stun:IP:PORT`, one per address (coturn answers STUN too). */
  stunUrls(): string[];
  readonly secret: string;
  readonly realm: string;
  readonly port: number;
  readonly relayPorts: { min: number; max: number };
  readonly pid: number;
  /** coturn's log file (gone after `stop()` unless `keepLog`). */
  readonly logPath: string;
  /** The last lines of the log (empty once removed). */
  logTail(lines?: number): string;
  /** REST credentials for `userId`, valid `ttlS` seconds from now. */
  credentials(userId: string, ttlS?: number): { username: string; credential: string };
  /** SIGTERM by pid, SIGKILL after 2 s; removes the temp dir unless `keepLog`. Idempotent. */
  stop(options?: { keepLog?: boolean }): Promise<void>;
}

/** Live servers and their temp dirs, killed and removed at exit. */
const running = new Map<ChildProcess, string>();
let exitHook = false;

function killAllAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  const killAll = () => {
    for (const [child, dir] of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* exited */
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Runs a node script in the namespace (or here), resolving with its stdout. */
function nodeIn(
  netns: string | undefined,
  script: string,
  args: string[],
  timeoutMs: number,
): Promise<string> {
  const [cmd, argv] = netns
    ? ['ip', ['netns', 'exec', netns, process.execPath, '-e', script, ...args]]
    : [process.execPath, ['-e', script, ...args]];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve(stdout);
    });
  });
}

/**
 * Finds, where coturn will run, a port free for TCP and UDP on every address and a block of
 * `count` UDP ports free for relaying. Prints `port min max`.
 */
const FREE_PORTS_SCRIPT = `
const net = require('node:net'), dgram = require('node:dgram');
const addrs = process.argv[1].split(','), count = Number(process.argv[2]);
const tcpFree = (a, p) => new Promise((r) => { const s = net.createServer(); s.once('error', () => r(false)); s.listen(p, a, () => s.close(() => r(true))); });
const udpFree = (a, p) => new Promise((r) => { const s = dgram.createSocket('udp4'); s.once('error', () => r(false)); s.bind(p, a, () => s.close(() => r(true))); });
const allFree = async (p, tcp) => { for (const a of addrs) { if (!(await udpFree(a, p)) || (tcp && !(await tcpFree(a, p)))) return false; } return true; };
(async () => {
  let port = 0;
  for (let i = 0; i < 50 && !port; i++) { const p = 20000 + Math.floor(Math.random() * 9000); if (await allFree(p, true)) port = p; }
  for (let i = 0; i < 20; i++) {
    const min = 30000 + Math.floor(Math.random() * (30000 - count));
    let ok = true;
    for (let p = min; p < min + count && ok; p++) ok = await allFree(p, false);
    if (ok && port) { console.log(port, min, min + count - 1); return; }
  }
  process.exit(1);
})();`;

/** Sends STUN Binding requests until one is answered (success response 0x0101). */
const STUN_PROBE_SCRIPT = `
const dgram = require('node:dgram'), crypto = require('node:crypto');
const [host, port, deadline] = [process.argv[1], Number(process.argv[2]), Date.now() + Number(process.argv[3])];
const s = dgram.createSocket('udp4');
const id = crypto.randomBytes(12);
const req = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), id]);
s.on('message', (m) => { if (m.readUInt16BE(0) === 0x0101 && m.subarray(8, 20).equals(id)) process.exit(0); });
s.on('error', () => {});
const send = () => { if (Date.now() > deadline) process.exit(1); s.send(req, port, host, () => {}); };
send(); setInterval(send, 100);`;

/** Starts coturn and waits until it answers STUN on its first address. */
export async function startCoturn(options: CoturnOptions = {}): Promise<Coturn> {
  const addresses = options.addresses ?? ['127.0.0.1'];
  const first = addresses[0];
  if (!first) throw new Error('startCoturn: no address to listen on');
  const bin = process.env.TURNSERVER ?? 'turnserver';
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const realm = options.realm ?? 'lab.test';
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const loopback = addresses.some((a) => a.startsWith('127.'));
  const allowedPeers = options.allowedPeers ?? ['127.0.0.0-127.255.255.255'];

  let port = options.port;
  let relayPorts = options.relayPorts;
  if (port === undefined || relayPorts === undefined) {
    const out = await nodeIn(options.netns, FREE_PORTS_SCRIPT, [addresses.join(','), '200'], 10_000);
    const [p, min, max] = out.trim().split(/\s+/).map(Number);
    port ??= p ?? 0;
    relayPorts ??= { min: min ?? 0, max: max ?? 0 };
  }

  // `coturn-<owner pid36>-…`: scripts/netns-cleanup.sh tells a crashed run's leftovers by it.
  const dir = mkdtempSync(join(tmpdir(), `coturn-${process.pid.toString(36)}-`));
  const logPath = join(dir, 'turnserver.log');
  const pidPath = join(dir, 'turnserver.pid');
  const config = [
    ...addresses.map((a) => `listening-ip=${a}`),
    ...addresses.map((a) => `relay-ip=${a}`),
    `listening-port=${port}`,
    `min-port=${relayPorts.min}`,
    `max-port=${relayPorts.max}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `realm=${realm}`,
    'fingerprint',
    'no-cli',
    'no-tls',
    'no-dtls',
    // Deny every peer, then allow the test's ranges (coturn checks the allowed list first).
    'denied-peer-ip=0.0.0.0-255.255.255.255',
    ...allowedPeers.map((r) => `allowed-peer-ip=${r}`),
    ...(loopback || allowedPeers.some((r) => r.startsWith('127.')) ? ['allow-loopback-peers'] : []),
    'no-multicast-peers',
    // Its own user database: never the system's /var/lib/turn/turndb.
    `userdb=${join(dir, 'turndb')}`,
    `pidfile=${pidPath}`,
    `log-file=${logPath}`,
    'simple-log',
    'verbose',
  ];
  const configPath = join(dir, 'turnserver.conf');
  writeFileSync(configPath, `${config.join('\n')}\n`);

  // `ip netns exec` execs turnserver itself: the child's pid is coturn's.
  const [cmd, argv] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, bin, '-c', configPath]]
    : [bin, ['-c', configPath]];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  running.set(child, dir);
  killAllAtExit();
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });

  const logTail = (lines = 40) => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  let stopped: Promise<void> | null = null;
  const stop = (stopOptions: { keepLog?: boolean } = {}) => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      if (!stopOptions.keepLog) rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${bin}: ${err.message}`)));
    void exited.then(() =>
      reject(new Error(`${bin} exited early (${child.exitCode ?? child.signalCode}): ${stderr}${logTail()}`)),
    );
  });
  failed.catch(() => {});
  try {
    await Promise.race([
      nodeIn(options.netns, STUN_PROBE_SCRIPT, [first, String(port), String(timeoutMs)], timeoutMs + 5_000),
      failed,
    ]);
  } catch (err) {
    const tail = logTail();
    await stop({ keepLog: true });
    throw new Error(
      `coturn did not answer STUN on ${first}:${port} within ${timeoutMs} ms (log kept at ${logPath}): ${(err as Error).message}\n${tail}`,
      { cause: err },
    );
  }

  const finalPort = port;
  const finalRelay = relayPorts;
  return {
    urls: (transport = 'udp') => addresses.map((a) => `turn:${a}:${finalPort}?transport=${transport}`),
    stunUrls: () => addresses.map((a) => `stun:${a}:${finalPort}`),
    secret,
    realm,
    port: finalPort,
    relayPorts: finalRelay,
    pid: child.pid ?? 0,
    logPath,
    logTail: (lines?: number) => (existsSync(logPath) ? logTail(lines) : ''),
    credentials: (userId, ttlS = 3600) => turnCredentials(secret, userId, ttlS, Date.now()),
    stop,
  };
}
