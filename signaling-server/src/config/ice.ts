import { intVar } from './env-vars.ts';

/**
 * What the server hands every login and resume so that peers find a path to each other behind
 * NATs and UDP-blocking firewalls (spec §10; ice-servers.ts issues it).
 */
export interface IceSettings {
  /** `stun:`/`stuns:` URLs; they need no credentials. */
  stunUrls: string[];
  /** null: no TURN relay. */
  turn: TurnSettings | null;
  /** `relay`: peers may only use TURN relays (hides their addresses from each other). */
  policy: 'all' | 'relay';
}

/** A coturn (or compatible) server with `use-auth-secret`: TURN REST credentials. */
export interface TurnSettings {
  /** `turn:`/`turns:` URLs, `?transport=udp|tcp` allowed. */
  urls: string[];
  /** coturn's `static-auth-secret`. Never leaves this process, never logged. */
  secret: string;
  /** Lifetime of each credential, seconds. */
  ttlS: number;
}

export const DEFAULT_TURN_TTL_S = 3_600;
/**
 * Bounds of TURN_TTL_S. A credential is a bearer ticket to the relay for its whole lifetime, so it
 * is kept short (a day at most, the TURN REST draft's suggestion); it need not outlast a meeting,
 * since every login and resume hands out a new one for the ICE restart that follows (and the SDK
 * renews it at 80 % of its lifetime). Seconds are legitimate at the low end: a short-lived
 * deployment (a demo, a kiosk) may want a leaked credential to be worthless almost at once, and
 * the e2e suite lets credentials expire mid-meeting without waiting a minute. Below 5 s a
 * credential could expire between the reply and the browser's first Allocate.
 */
export const TURN_TTL_BOUNDS_S = { min: 5, max: 86_400 } as const;
/**
 * The shared secret signs every credential, and each participant holds a username and its HMAC:
 * a short secret could be guessed offline from one of them.
 */
export const TURN_SECRET_MIN_LENGTH = 16;

/** `host`, an IPv4 address or a bracketed IPv6 address, then an optional port. */
const HOST_PORT = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?`;
/** RFC 7064: no query. */
const STUN_URL = new RegExp(`^stuns?:${HOST_PORT}$`);
/** RFC 7065: `transport` is the only parameter. */
const TURN_URL = new RegExp(`^turns?:${HOST_PORT}(?:\\?transport=(?:udp|tcp))?$`);

function urlListVar(env: NodeJS.ProcessEnv, name: string, pattern: RegExp, form: string): string[] {
  const urls = (env[name] ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  for (const url of urls) {
    const match = pattern.exec(url);
    const port = match?.[1];
    if (!match || (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))) {
      throw new Error(`${name} must be comma-separated URLs like ${form}, got "${url}"`);
    }
  }
  return urls;
}

export function iceVars(env: NodeJS.ProcessEnv): IceSettings {
  const stunUrls = urlListVar(env, 'STUN_URLS', STUN_URL, 'stun:stun.example.com:3478');
  const turnUrls = urlListVar(
    env,
    'TURN_URLS',
    TURN_URL,
    'turn:turn.example.com:3478?transport=udp or turns:turn.example.com:443?transport=tcp',
  );
  const secret = env.TURN_SECRET?.trim() ?? '';
  const ttlS = intVar(env, 'TURN_TTL_S', DEFAULT_TURN_TTL_S, TURN_TTL_BOUNDS_S.min, TURN_TTL_BOUNDS_S.max);
  const policy = env.ICE_TRANSPORT_POLICY?.trim().toLowerCase() || 'all';
  if (policy !== 'all' && policy !== 'relay') {
    throw new Error(`ICE_TRANSPORT_POLICY must be all or relay, got "${env.ICE_TRANSPORT_POLICY}"`);
  }
  if (turnUrls.length > 0 && secret === '') {
    throw new Error('TURN_URLS needs TURN_SECRET (the static-auth-secret of the TURN server)');
  }
  // The message never repeats the value: it is a secret.
  if (secret !== '' && (secret.length < TURN_SECRET_MIN_LENGTH || /\s/.test(secret))) {
    throw new Error(`TURN_SECRET must be at least ${TURN_SECRET_MIN_LENGTH} characters without spaces`);
  }
  if (secret !== '' && turnUrls.length === 0) {
    throw new Error('TURN_SECRET is set but TURN_URLS is empty: name the TURN server it belongs to');
  }
  if (policy === 'relay' && turnUrls.length === 0) {
    throw new Error('ICE_TRANSPORT_POLICY=relay needs TURN_URLS: without a relay no call would connect');
  }
  return {
    stunUrls,
    turn: turnUrls.length > 0 ? { urls: turnUrls, secret, ttlS } : null,
    policy,
  };
}
