/**
 * The NAT lab's network (see nat-lab.ts for the picture): namespaces wired with veths, the core
 * routing only public /24s, NAT routers masquerading with random ports behind a stateful
 * firewall, and A's two uplinks with policy routing. Pure plumbing: safety (host route, guards)
 * and teardown belong to the caller, NatLab.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addVeth, guardNamespace, ipBatch, sh } from './netns-kit.ts';

/** The NAT lab's whole range (the one-router lab of netns.ts has 10.200.0.0/16). */
export const NAT_TEST_RANGE = '10.201.0.0/16';
/** Where the NATs' private /24s (10.201.11–13.x) are; the core never routes them. */
export const PRIVATE_RANGE = '10.201.8.0/21';
/** The "public" part of the range (core and NAT wan links), as a coturn peer range. */
export const PUBLIC_PEERS = '10.201.0.0-10.201.7.255';

export type NatLabRole = 'pub' | 'nata' | 'cgna' | 'natb' | 'a' | 'b';
export type Uplink = 'home' | 'carrier';

/** One NAT router: its public (wan) side on the core, its private (lan) /24. */
interface NatPlan {
  ns: 'nata' | 'cgna' | 'natb';
  /** The core's veth toward this NAT. */
  coreDev: string;
  core: string;
  wan: string;
  lan: string;
  /** The private /24's first three octets. */
  net: string;
}

export const NAT_LAB_ADDRESSES = {
  signaling: '10.201.0.1',
  turn: '10.201.0.2',
  home: {
    ns: 'nata',
    coreDev: 'home',
    core: '10.201.1.1',
    wan: '10.201.1.2',
    lan: '10.201.11.1',
    net: '10.201.11',
  },
  carrier: {
    ns: 'cgna',
    coreDev: 'carrier',
    core: '10.201.2.1',
    wan: '10.201.2.2',
    lan: '10.201.12.1',
    net: '10.201.12',
  },
  b: {
    ns: 'natb',
    coreDev: 'natb',
    core: '10.201.3.1',
    wan: '10.201.3.2',
    lan: '10.201.13.1',
    net: '10.201.13',
  },
} as const satisfies Record<string, unknown> & Record<'home' | 'carrier' | 'b', NatPlan>;

/** A's interface and policy-routing table per uplink. */
export const UPLINK = { home: { dev: 'eth0', table: 100 }, carrier: { dev: 'eth1', table: 101 } } as const;

/** `ip -batch` lines bringing one of A's uplinks up with host number `host` (main default if `main`). */
export function uplinkLines(uplink: Uplink, host: number, main = true): string[] {
  const { dev, table } = UPLINK[uplink];
  const gw = NAT_LAB_ADDRESSES[uplink].lan;
  return [
    `addr flush dev ${dev}`,
    `addr add ${NAT_LAB_ADDRESSES[uplink].net}.${host}/24 dev ${dev}`,
    `link set dev ${dev} up`,
    `route replace default via ${gw} dev ${dev} table ${table}`,
    ...(main ? [`route replace default via ${gw} dev ${dev}`] : []),
  ];
}

/**
 * A NAT router: masquerade out of wan with a random port per mapping (`--random-fully`: the
 * mapping depends on the destination), and a stateful firewall letting only replies in, whether
 * forwarded or addressed to the router; unsolicited packets are dropped silently, not answered
 * with ICMP port unreachable (as home NATs do; coturn also drops a relay whose socket sees one).
 */
async function buildNat(ns: string, nat: NatPlan, tmp: string): Promise<void> {
  await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await ipBatch(ns, [
    'link set lo up',
    `addr add ${nat.wan}/24 dev wan`,
    `addr add ${nat.lan}/24 dev lan`,
    'link set dev wan up',
    'link set dev lan up',
    `route add default via ${nat.core} dev wan`,
  ]);
  const rules = join(tmp, `${nat.ns}.rules`);
  writeFileSync(
    rules,
    [
      '*nat',
      '-A POSTROUTING -o wan -j MASQUERADE --random-fully',
      'COMMIT',
      '*filter',
      '-A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
      '-A FORWARD -i wan -j DROP',
      '-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
      '-A INPUT -i wan -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  // --noflush: appended after the egress guard already in place.
  await sh('ip', ['netns', 'exec', ns, 'iptables-restore', '--noflush', rules]);
}

/** Creates, guards and wires every namespace of the lab. */
export async function buildNatNetwork(
  ns: Record<NatLabRole, string>,
  tmp: string,
  carrierUp: boolean,
): Promise<void> {
  for (const name of Object.values(ns)) await sh('ip', ['netns', 'add', name]);
  for (const name of Object.values(ns)) await guardNamespace(name, NAT_TEST_RANGE);
  const ip = (role: NatLabRole, lines: string[]) => ipBatch(ns[role], ['link set lo up', ...lines]);
  const { home, carrier, b } = NAT_LAB_ADDRESSES;
  for (const nat of [home, carrier, b]) await addVeth(ns.pub, nat.coreDev, ns[nat.ns], 'wan');
  await addVeth(ns.a, 'eth0', ns.nata, 'lan');
  await addVeth(ns.a, 'eth1', ns.cgna, 'lan');
  await addVeth(ns.b, 'eth0', ns.natb, 'lan');
  await sh('ip', ['netns', 'exec', ns.pub, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // The private /24s are unroutable on the "internet", and silently so (a blackhole route
  // drops forwarded packets without the ICMP "net unreachable" a missing route sends back).
  await ip('pub', [
    `route add blackhole ${PRIVATE_RANGE}`,
    `addr add ${NAT_LAB_ADDRESSES.signaling}/32 dev lo`,
    `addr add ${NAT_LAB_ADDRESSES.turn}/32 dev lo`,
    ...[home, carrier, b].flatMap((n) => [
      `addr add ${n.core}/24 dev ${n.coreDev}`,
      `link set dev ${n.coreDev} up`,
    ]),
  ]);
  for (const nat of [home, carrier, b]) await buildNat(ns[nat.ns], nat, tmp);
  // A: home uplink active; each uplink routes its own source addresses (policy routing).
  await ip('a', [
    ...(['home', 'carrier'] as const).map(
      (u) => `rule add from ${NAT_LAB_ADDRESSES[u].net}.0/24 table ${UPLINK[u].table}`,
    ),
    ...uplinkLines('home', 2),
    ...(carrierUp ? uplinkLines('carrier', 2, false) : []),
  ]);
  await ip('b', [
    `addr add ${b.net}.2/24 dev eth0`,
    'link set dev eth0 up',
    `route add default via ${b.lan} dev eth0`,
  ]);
}
