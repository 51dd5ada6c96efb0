/**
 * The one-router lab's network (see netns.ts for the picture): three namespaces wired with veths,
 * R routing between A's two links and B's. Pure plumbing, as nat-lab-net.ts is for the NAT lab:
 * the host blackhole route and teardown belong to the caller, NetnsLab.
 */
import { addVeth, guardNamespace, sh } from './netns-kit.ts';

/** The whole test range. Nothing in it may ever reach a real network. */
export const TEST_RANGE = '10.200.0.0/16';

export type Role = 'a' | 'r' | 'b';

/** Addresses of the lab (fixed: each lab has its own namespaces, so labs never collide). */
export const LAB_ADDRESSES = {
  server: '10.200.0.1',
  a: {
    eth0: { net: '10.200.1', gw: '10.200.1.1', first: 2 },
    eth1: { net: '10.200.3', gw: '10.200.3.1', first: 2 },
  },
  b: { eth0: { net: '10.200.2', gw: '10.200.2.1', host: '10.200.2.2' } },
} as const;

/**
 * Creates, guards (egress guard in each, before any link exists) and wires the namespaces: R
 * routes and holds the server's address, A is up on eth0 at `addressA` with its spare eth1 down
 * and unaddressed, B is up at `addressB`.
 */
export async function buildNetnsNetwork(
  ns: Record<Role, string>,
  addressA: string,
  addressB: string,
): Promise<void> {
  const { a, r, b } = ns;
  for (const name of [a, r, b]) await sh('ip', ['netns', 'add', name]);
  for (const name of [a, r, b]) await guardNamespace(name, TEST_RANGE);
  // Veths created inside the namespaces: no test interface ever exists in the host namespace.
  await addVeth(a, 'eth0', r, 'a0');
  await addVeth(a, 'eth1', r, 'a1');
  await addVeth(b, 'eth0', r, 'b0');
  const ip = (role: Role, ...args: string[]) => sh('ip', ['-n', ns[role], ...args]);
  for (const role of ['a', 'r', 'b'] as const) await ip(role, 'link', 'set', 'lo', 'up');
  // R: router and server host.
  await sh('ip', ['netns', 'exec', r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await ip('r', 'addr', 'add', `${LAB_ADDRESSES.server}/32`, 'dev', 'lo');
  await ip('r', 'addr', 'add', `${LAB_ADDRESSES.a.eth0.gw}/24`, 'dev', 'a0');
  await ip('r', 'addr', 'add', `${LAB_ADDRESSES.a.eth1.gw}/24`, 'dev', 'a1');
  await ip('r', 'addr', 'add', `${LAB_ADDRESSES.b.eth0.gw}/24`, 'dev', 'b0');
  for (const dev of ['a0', 'a1', 'b0']) await ip('r', 'link', 'set', dev, 'up');
  // A: eth0 active, eth1 (the spare) down and unaddressed until a switch.
  await ip('a', 'addr', 'add', `${addressA}/24`, 'dev', 'eth0');
  await ip('a', 'link', 'set', 'eth0', 'up');
  await ip('a', 'route', 'add', 'default', 'via', LAB_ADDRESSES.a.eth0.gw, 'dev', 'eth0');
  // B.
  await ip('b', 'addr', 'add', `${addressB}/24`, 'dev', 'eth0');
  await ip('b', 'link', 'set', 'eth0', 'up');
  await ip('b', 'route', 'add', 'default', 'via', LAB_ADDRESSES.b.eth0.gw, 'dev', 'eth0');
}

/**
 * `ip -batch` lines bringing A's `dev` up at host number `host` with a default route through
 * R; a `metric` makes the route a standby that only serves when the preferred one is gone.
 */
export function interfaceUp(dev: 'eth0' | 'eth1', host: number, metric?: number): string[] {
  const cfg = LAB_ADDRESSES.a[dev];
  const route = metric === undefined ? 'replace default' : `append default metric ${metric}`;
  return [
    `addr flush dev ${dev}`,
    `addr add ${cfg.net}.${host}/24 dev ${dev}`,
    `link set ${dev} up`,
    `route ${route} via ${cfg.gw} dev ${dev}`,
  ];
}

/** `ip -batch` lines taking A's `dev` away: link down, address removed (its routes go with it). */
export const interfaceDown = (dev: 'eth0' | 'eth1'): string[] => [
  `link set ${dev} down`,
  `addr flush dev ${dev}`,
];

/** `ip -batch` lines moving A's `dev` from one address to another in its /24, default route kept on it. */
export const readdress = (dev: 'eth0' | 'eth1', from: string, to: string): string[] => [
  `addr del ${from}/24 dev ${dev}`,
  `addr add ${to}/24 dev ${dev}`,
  `route replace default via ${LAB_ADDRESSES.a[dev].gw} dev ${dev}`,
];
