/**
 * The NAT lab's STUN/TURN: coturn in the core, and the ICE variables the lab's signaling server
 * gets so that it hands participants that coturn (or nothing).
 */
import { type Coturn, startCoturn, type TurnTransport } from '../../support/coturn.ts';
import { NAT_LAB_ADDRESSES, PUBLIC_PEERS } from './nat-lab-net.ts';

/**
 * The ICE configuration the lab's signaling server hands out (its STUN_URLS, TURN_URLS,
 * TURN_SECRET, TURN_TTL_S, ICE_TRANSPORT_POLICY), all pointing at the lab's coturn.
 */
export interface NatLabIceOptions {
  /** The lab's coturn as the STUN server (default true). */
  stun?: boolean;
  /** The lab's coturn as the TURN server over these transports, with its secret (default none). */
  turn?: TurnTransport[];
  /** Lifetime of each TURN credential, seconds (default: the server's). */
  ttlS?: number;
  /** `relay`: relay candidates only (default: the server's, `all`). */
  policy?: 'all' | 'relay';
}

/** The coturn port in the core: a fresh namespace, so it is free, and known before coturn starts. */
const TURN_PORT = 3478;

/** The server's ICE variables for `ice`, TURN with `secret`; every one set, so none is inherited. */
export function serverIceEnv(ice: NatLabIceOptions | undefined, secret: string): Record<string, string> {
  const at = `${NAT_LAB_ADDRESSES.turn}:${TURN_PORT}`;
  const turn = ice?.turn ?? [];
  return {
    STUN_URLS: ice && ice.stun !== false ? `stun:${at}` : '',
    TURN_URLS: turn.map((t) => `turn:${at}?transport=${t}`).join(','),
    TURN_SECRET: turn.length > 0 ? secret : '',
    TURN_TTL_S: ice?.ttlS !== undefined ? String(ice.ttlS) : '',
    ICE_TRANSPORT_POLICY: ice?.policy ?? '',
  };
}

/** coturn in the core namespace `ns`, on the lab's TURN address, with `secret` as its static-auth-secret. */
export function startLabCoturn(ns: string, secret: string): Promise<Coturn> {
  return startCoturn({
    netns: ns,
    addresses: [NAT_LAB_ADDRESSES.turn],
    // Public addresses only, as a production TURN server denies private ranges: Chrome's
    // permissions for private host candidates get 403 instead of relayed packets that the
    // core would drop (coturn's relay also must not send into the blackhole: EINVAL).
    allowedPeers: [PUBLIC_PEERS],
    // A fresh namespace: these are free.
    port: TURN_PORT,
    relayPorts: { min: 49152, max: 49651 },
    secret,
    realm: 'natlab.test',
  });
}
