/**
 * NAT-lab scenarios of bench:recovery: "IP change behind carrier NAT, through TURN". A fresh NAT
 * lab per run (tests/e2e/support/nat-lab.ts, with its safety rules: host blackhole route, egress
 * guards, teardown): A behind its home NAT, B behind its own NAT, both `MASQUERADE --random-fully`
 * (only relay pairs connect), the lab's signaling server handing out the lab's coturn (STUN, TURN
 * over UDP and TCP, the server's default credential lifetime and `all` policy), as the product is
 * deployed behind NATs. Then the change on A, measured as the direct-path scenarios are
 * (recovery-netns.ts `measureChange`):
 *
 * - `nat-ip-change`: a new private address on the same interface behind the same NAT
 *   (`changeAddressA`); the public address stays, the NAT's mappings (and A's relay) do not.
 * - `nat-switch`: gapless interface switch, home NAT → carrier NAT (`switchUplinkA({ gapMs: 0 })`);
 *   the carrier uplink is down and unaddressed until the switch, as the direct path's spare link.
 *
 * Their direct-path counterparts (flat lab, no NAT, no TURN): `ip-change` and `gapless-switch`.
 * Needs root and coturn.
 */
import { NatLab } from '../tests/e2e/support/nat-lab.ts';
import { failedRun, measureChange, meetInLab } from './recovery-netns.ts';
import type { Mode, Sample } from './recovery-sample.ts';

export const NAT_SCENARIOS = ['nat-ip-change', 'nat-switch'];

/** Each NAT scenario and the direct-path scenario it is compared with. */
export const DIRECT_COUNTERPART: Record<string, string> = {
  'nat-ip-change': 'ip-change',
  'nat-switch': 'gapless-switch',
};

export async function runNatScenario(
  scenario: string,
  mode: Mode,
  runs: number,
  { trace = false }: { trace?: boolean } = {},
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const lab = await NatLab.create({
      carrier: 'down',
      ice: { turn: ['udp', 'tcp'] },
      logLevel: 'warn',
      log: trace ? console.log : () => {},
    });
    try {
      const [browserA, browserB] = await Promise.all([lab.launchBrowser('a'), lab.launchBrowser('b')]);
      const browsers = { a: browserA, b: browserB };
      const { a, b } = await meetInLab(browsers, lab.serverUrl, `bench-${scenario}-${i}`, mode, trace);
      const change = () =>
        scenario === 'nat-ip-change' ? lab.changeAddressA() : lab.switchUplinkA({ gapMs: 0 });
      samples.push(
        await measureChange(a.page, b.page, scenario, mode, change, { trace }).catch((err) =>
          failedRun(scenario, mode, err),
        ),
      );
      await Promise.all([browserA.close(), browserB.close()]);
    } finally {
      await lab.dispose();
    }
  }
  return samples;
}
