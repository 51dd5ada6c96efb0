/**
 * Firefox in the network-namespace lab, for tests: the `lab` and `browserB` fixtures of
 * network.ts plus `firefoxA` (Firefox ESR inside namespace A, where the network changes; see
 * firefox-netns.ts), and the one fault the lab has no method for: A's link down and up again.
 */

import { launchFirefoxInNamespace, type NamespacedFirefox } from './firefox-netns.ts';
import { ipBatch } from './netns-kit.ts';
import { LAB_ADDRESSES, type NetnsLab, test as networkTest } from './network.ts';

export interface FirefoxLabFixtures {
  /** Firefox inside namespace A of `lab`; quit before the lab is torn down, also on failure. */
  firefoxA: NamespacedFirefox;
}

export const test = networkTest.extend<FirefoxLabFixtures>({
  firefoxA: async ({ lab }, use, testInfo) => {
    const firefox = await launchFirefoxInNamespace(lab.ns.a, { secureOrigins: [lab.serverUrl] });
    try {
      await use(firefox);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        console.log(`[firefox in ${lab.ns.a}] last output:\n${firefox.output().slice(-30).join('\n')}`);
      }
      await firefox.close();
    }
  },
});

/**
 * A's active link goes down (its default route goes with it; the address stays) and comes back
 * after `ms` with its default route: the network lost for a while, then the same network back.
 * `at`: link down; `doneAt`: link up with its route again.
 */
export async function linkOutageA(lab: NetnsLab, ms: number): Promise<{ at: number; doneAt: number }> {
  const dev = lab.activeInterfaceA;
  const at = Date.now();
  await ipBatch(lab.ns.a, [`link set ${dev} down`]);
  await new Promise((r) => setTimeout(r, Math.max(0, at + ms - Date.now())));
  await ipBatch(lab.ns.a, [
    `link set ${dev} up`,
    `route replace default via ${LAB_ADDRESSES.a[dev].gw} dev ${dev}`,
  ]);
  const doneAt = Date.now();
  lab.log(`A ${dev} down for ${doneAt - at} ms`);
  return { at, doneAt };
}
