/**
 * Firefox ESR inside a network namespace of a lab (netns.ts), driven over WebDriver BiDi.
 *
 * Why not `puppeteer.launch`: Firefox's remote agent listens on 127.0.0.1 *of its namespace*,
 * and the host cannot reach any address there (not the namespace's loopback, and not its lab
 * address either: the host's blackhole route for the test range drops it, by design). A
 * filesystem Unix socket is the one door that is not bound to a network namespace. So:
 *
 *   host (puppeteer.connect, ws+unix://SOCK:/session)
 *     └─ SOCK ── forwarder (node, inside NS) ── 127.0.0.1:PORT ── Firefox remote agent (inside NS)
 *
 * Firefox is started with `ip netns exec` on a fixed port (each lab's namespace is fresh, so the
 * port is free), with the same profile `puppeteer.launch` writes (`createProfile`, which
 * launchFirefox in firefox.ts goes through too) plus {@link FIREFOX_PREFS}. The agent checks the
 * Host header against its own address, so the client sends `Host: 127.0.0.1:PORT`.
 *
 * Teardown: `close()` asks Firefox to quit over BiDi, then kills both process groups and removes
 * the profile; the same kill runs at process exit and on SIGINT/SIGTERM, and deleting the lab's
 * namespaces kills anything left inside them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The profile writer puppeteer.launch uses (a dependency of puppeteer-core, pinned by it).
import { createProfile, Browser as PuppeteerBrowserKind } from '@puppeteer/browsers';
import puppeteer, { type Browser as PuppeteerBrowser } from 'puppeteer-core';
import { FIREFOX_PREFS, firefoxPath } from './firefox.ts';
import { disposeAtExit, forgetAtExit, type SyncDisposable } from './netns-kit.ts';

/** The remote agent's port inside the namespace. */
const AGENT_PORT = 9222;

/**
 * Pipes every connection on a Unix socket to 127.0.0.1:PORT of the namespace it runs in.
 * Prints `ready` once listening. Runs as `node -e SCRIPT SOCKET PORT`.
 */
const FORWARDER = [
  "const net = require('node:net');",
  'const [sock, port] = process.argv.slice(1);',
  'net.createServer((c) => {',
  "  const u = net.connect(Number(port), '127.0.0.1');",
  "  c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy());",
  "}).listen(sock, () => console.log('ready'));",
  // Its parent gone (stdin closed), nothing would ever connect again: no orphan left behind.
  "process.stdin.on('close', () => process.exit(0)); process.stdin.resume();",
].join('\n');

export interface NamespacedFirefox {
  readonly browser: PuppeteerBrowser;
  /** Firefox's pid (its process group holds the content processes). */
  readonly pid: number;
  /** The last lines Firefox and the forwarder wrote (stdout and stderr). */
  output(): string[];
  /** Quits Firefox, stops the forwarder, removes the profile. Idempotent, never throws. */
  close(): Promise<void>;
}

export interface NamespacedFirefoxOptions {
  /** Origins served over plain http that must count as secure (getUserMedia), e.g. the lab's server. */
  secureOrigins?: string[];
  extraPrefs?: Record<string, unknown>;
  /** How long Firefox may take to open its remote agent (default 30 s: 2 busy cores). */
  startTimeoutMs?: number;
}

/** Waits for a line on the child's stdout/stderr that matches `re`; rejects on exit or timeout. */
export function waitForLine(
  child: ChildProcess,
  re: RegExp,
  what: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) seen.push(line);
        const m = re.exec(line);
        if (m) {
          finish();
          resolve(m[1] ?? m[0]);
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      finish();
      reject(new Error(`${what} exited (${code ?? signal}) before ready: ${seen.slice(-10).join('\n')}`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${what} not ready after ${timeoutMs} ms: ${seen.slice(-10).join('\n')}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** SIGKILLs a detached child's whole process group (Firefox's content processes included). */
function killGroup(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* exited */
  }
}

/** Launches headless Firefox ESR inside namespace `ns` and connects to it over BiDi. */
export async function launchFirefoxInNamespace(
  ns: string,
  options: NamespacedFirefoxOptions = {},
): Promise<NamespacedFirefox> {
  const dir = mkdtempSync(join(tmpdir(), 'fx-netns-'));
  const profile = join(dir, 'profile');
  const socket = join(dir, 'agent.sock');
  const secureHosts = (options.secureOrigins ?? []).map((o) => new URL(o).hostname);
  await createProfile(PuppeteerBrowserKind.FIREFOX, {
    path: profile,
    preferences: {
      ...FIREFOX_PREFS,
      // Firefox's counterpart of --unsafely-treat-insecure-origin-as-secure (host names).
      ...(secureHosts.length ? { 'dom.securecontext.allowlist': secureHosts.join(',') } : {}),
      // What puppeteer.launch adds on top of the caller's prefs (FirefoxLauncher.getPreferences).
      'fission.webContentIsolationStrategy': 0,
      ...options.extraPrefs,
    },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  let firefox: ChildProcess | undefined;
  let forwarder: ChildProcess | undefined;
  const guard: SyncDisposable = {
    disposeSync() {
      killGroup(forwarder);
      killGroup(firefox);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  disposeAtExit(guard);
  const timeout = options.startTimeoutMs ?? 30_000;
  try {
    // detached: its own process group, so teardown reaches the content processes too.
    firefox = spawn(
      'ip',
      [
        ...['netns', 'exec', ns, firefoxPath()],
        ...['--headless', '--no-remote', '--profile', profile],
        ...['--remote-debugging-port', String(AGENT_PORT), 'about:blank'],
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForLine(firefox, /WebDriver BiDi listening on (ws:\/\/\S+)/, 'Firefox', timeout);
    forwarder = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-e', FORWARDER, socket, String(AGENT_PORT)],
      { detached: true, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    await waitForLine(forwarder, /^ready$/, 'BiDi forwarder', timeout);
    // Keep reading their output (a full pipe would block Firefox); the tail explains a crash.
    for (const child of [firefox, forwarder]) {
      for (const stream of [child.stdout, child.stderr]) stream?.on('data', keep);
    }
    const browser = await puppeteer.connect({
      browserWSEndpoint: `ws+unix://${socket}:/session`,
      protocol: 'webDriverBiDi',
      headers: { Host: `127.0.0.1:${AGENT_PORT}` },
      // Playwright's default page size, as launchFirefox.
      defaultViewport: { width: 1280, height: 720 },
    });
    const pid = firefox.pid ?? 0;
    let closing: Promise<void> | null = null;
    return {
      browser,
      pid,
      output: () => [...lines],
      close() {
        closing ??= (async () => {
          const exited = new Promise((r) => firefox?.once('exit', r));
          await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
          guard.disposeSync();
          forgetAtExit(guard);
        })();
        return closing;
      },
    };
  } catch (err) {
    guard.disposeSync();
    forgetAtExit(guard);
    throw err;
  }
}

/** Whether a Firefox to run in a namespace is installed (for skip reasons). */
export function firefoxInstalled(): boolean {
  return existsSync(process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr');
}
