/** Whether this machine can build a network-namespace lab (netns.ts, nat-lab.ts), and when tests skip. */
import { execFileSync } from 'node:child_process';

/** Whether this process can build a lab here; `reason` says why not. Never throws. */
export function netnsSupport(): { ok: boolean; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (uid 0)' };
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
  ] as const) {
    try {
      execFileSync(cmd, [...args], { stdio: 'ignore' });
    } catch {
      return { ok: false, reason: `\`${cmd}\` is not available (install iproute2/iptables)` };
    }
  }
  return { ok: true, reason: '' };
}

/**
 * Whether the real-network tests must be skipped, and why: only outside CI and only when the
 * machine cannot build a lab. In CI (`CI=true`) this never skips: the lab's error fails the test.
 */
export function netnsSkipReason(): string | null {
  if (process.env.CI === 'true') return null;
  const { ok, reason } = netnsSupport();
  return ok ? null : `real-network tests skipped: ${reason}`;
}

/** Whether NAT-lab tests must be skipped, and why (never in CI: there the lab's error fails). */
export function natLabSkipReason(): string | null {
  if (process.env.CI === 'true') return null;
  const { ok, reason } = netnsSupport();
  if (!ok) return `NAT-lab tests skipped: ${reason}`;
  try {
    execFileSync('sh', ['-c', `command -v ${process.env.TURNSERVER ?? 'turnserver'}`], { stdio: 'ignore' });
  } catch {
    return 'NAT-lab tests skipped: `turnserver` is not available (scripts/install-test-deps.sh installs coturn)';
  }
  return null;
}
