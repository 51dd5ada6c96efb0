/**
 * The lab side of bench:peers: the five network changes on A, applied the same way for both
 * systems, and PeerJS's server started inside R. Each change resolves when the network is whole
 * again, so "back → frames" is measured from the same moment for both.
 */
import { spawn } from 'node:child_process';
import { linkOutageA } from '../tests/e2e/support/firefox-lab.ts';
import { waitForLine } from '../tests/e2e/support/firefox-netns.ts';
import { REPO_ROOT } from '../tests/e2e/support/netns-kit.ts';
import { LAB_ADDRESSES, type NetnsLab } from '../tests/e2e/support/network.ts';

export const PEER_SCENARIOS = [
  'ip-change',
  'gapless-switch',
  'dual-homed',
  'link-down-5s',
  'udp-blackhole-3s',
] as const;
export type PeerScenario = (typeof PEER_SCENARIOS)[number];

/** PeerJS's server inside R, on the lab's server address (its own port; ours keeps 8080). */
export const PEERJS_PORT = 9000;
export const PEERJS_URL = `http://${LAB_ADDRESSES.server}:${PEERJS_PORT}`;

/** When A's network broke and when it was whole again (ms since epoch). */
export interface AppliedChange {
  at: number;
  backAt: number;
}

/** Before anyone joins: a dual-homed A has its second interface up from the start. */
export async function prepareLab(lab: NetnsLab, scenario: PeerScenario): Promise<void> {
  if (scenario === 'dual-homed') await lab.addStandbyInterface();
}

export async function applyChange(lab: NetnsLab, scenario: PeerScenario): Promise<AppliedChange> {
  switch (scenario) {
    case 'ip-change': {
      const c = await lab.changeIp();
      return { at: c.at, backAt: c.doneAt };
    }
    case 'gapless-switch': {
      const c = await lab.switchInterface({ gapMs: 0 });
      return { at: c.at, backAt: c.doneAt };
    }
    case 'dual-homed': {
      // "Wi-Fi" goes away; the second interface was up all along, so nothing is ever broken.
      const c = await lab.dropActiveInterface();
      return { at: c.at, backAt: c.at };
    }
    case 'link-down-5s': {
      const o = await linkOutageA(lab, 5_000);
      return { at: o.at, backAt: o.doneAt };
    }
    case 'udp-blackhole-3s': {
      const block = await lab.blackholeUdp({ forMs: 3_000 });
      return { at: block.change.at, backAt: (await block.lifted).doneAt };
    }
  }
}

/** Starts bench/peerjs-server.ts inside R; resolves once it listens. `stop()` ends it. */
export async function startPeerjsServer(lab: NetnsLab): Promise<{ stop(): void }> {
  const child = spawn(
    'ip',
    [
      ...['netns', 'exec', lab.ns.r, process.execPath, '--import', 'tsx', 'bench/peerjs-server.ts'],
      ...[LAB_ADDRESSES.server, String(PEERJS_PORT)],
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await waitForLine(child, /^ready$/, 'PeerJS server', 20_000);
    // Its later output is not needed, but a full pipe would block it: drain it.
    child.stdout?.resume();
    child.stderr?.resume();
  } catch (err) {
    stop();
    throw err;
  }
  return { stop };
}
