/**
 * bench:abuse's server: `npm run serve` as deployed, in a process of its own, and what the bench
 * reads of it (its RSS from /proc, its counters from the metrics endpoint).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function startServer(): Promise<{ child: ChildProcess; url: string; metricsUrl: string }> {
  const profile = process.env.ABUSE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.ABUSE_PROF}`] : [];
  // `npm run serve`'s own command line (its GC flags too): the server as deployed.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { serve: string } };
  const [, ...serve] = pkg.scripts.serve.split(/\s+/);
  const child = spawn(process.execPath, [...profile, ...serve], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'error',
      REDIS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const app = /Meeting running at (\S+)/.exec(out);
      const metrics = /Metrics at (\S+)/.exec(out);
      if (app?.[1] && metrics?.[1]) {
        clearTimeout(timer);
        resolveStart({ child, url: app[1].replace('localhost', '127.0.0.1'), metricsUrl: metrics[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

export function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export async function serverCounters(metricsUrl: string): Promise<Record<string, number>> {
  const metricsText = await (await fetch(metricsUrl)).text();
  return Object.fromEntries(
    metricsText
      .split('\n')
      .filter((l) =>
        /^(signaling_(quota_disconnects_total|read_pauses_total|slow_receivers_total|origin_refused_total|address_limited_total|rate_limited_total)|nodejs_eventloop_lag_(max|p99)_seconds )/.test(
          l,
        ),
      )
      .map((l) => {
        const i = l.lastIndexOf(' ');
        return [l.slice(0, i), Number(l.slice(i + 1))];
      }),
  );
}
