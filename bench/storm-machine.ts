/**
 * What a storm reads of the machine, from /proc: CPU time of processes and of all CPUs, peak
 * RSS, listen-queue overflows; and the wait for a quiet machine before a storm starts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's peak RSS so far (VmHWM), from /proc/<pid>/status. */
export function peakRssBytes(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system, every thread) a process has used, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** The kernel's count of connections dropped for a full listen queue (TcpExt ListenOverflows). */
export function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const i = names.indexOf('ListenOverflows');
    return i < 0 ? null : Number(values[i]);
  } catch {
    return null;
  }
}

/** Busy and total jiffies of all CPUs, from /proc/stat. */
export function cpuTimes(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    // idle + iowait
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return null;
  }
}

export async function machineBusyPct(ms: number): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return 0;
  return (100 * (b.busy - a.busy)) / (b.total - a.total);
}

/** Quiet means less than this much CPU in use with none of the bench running. */
export const QUIET_PCT = 20;
export const QUIET_WAIT_MS = 20_000;

/**
 * The machine is shared (other people's tests run on it): a storm started while something else
 * burns the CPUs measures that instead. Waits, up to a bound, for a quiet second; returns the
 * CPU use of the last second sampled, which the report shows.
 */
export async function waitForQuiet(log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  let busy = await machineBusyPct(1_000);
  if (busy >= QUIET_PCT)
    log(`  machine busy (${busy.toFixed(0)} % CPU), waiting up to ${QUIET_WAIT_MS / 1000} s`);
  while (busy >= QUIET_PCT && Date.now() < deadline) busy = await machineBusyPct(1_000);
  return busy;
}
