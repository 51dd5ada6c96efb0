import type { IncomingHttpHeaders } from 'node:http';

/**
 * Which web pages may open a socket (spec §10, issue 12). A browser sends `Origin` with every
 * WebSocket handshake and cannot forge it, so a page on another site cannot open sessions in a
 * participant's name (and from their address, spending its rate limits). Non-browser clients
 * (benches, load generators) send no Origin; they are let in unless `requireOrigin`.
 *
 * Entries (ALLOWED_ORIGINS, comma-separated):
 * - `self`: the origin the request itself names in `Host` (or a proxy's `X-Forwarded-Host`), i.e.
 *   the page was served by this very address (any scheme: a TLS-terminating proxy in front turns
 *   https:// into http:// here);
 * - `http://host:port`, `https://host` (default port), `http://host:*` (any port);
 * - `*`: any origin (switches the check off; for a deployment that checks elsewhere).
 *
 * Caveat of `self`: a DNS-rebinding page (an attacker's name resolving to this server) also
 * matches it; a deployment reachable only on private addresses should list its origins instead.
 */
export interface OriginSettings {
  /** Parsed entries; the default is `DEFAULT_ALLOWED_ORIGINS`. */
  allowed: readonly string[];
  /** true: a handshake without an Origin header is refused too. */
  requireOrigin: boolean;
}

/**
 * The server's own origins, and localhost for development (a dev server on another port, e.g.
 * `vite` on 5173, talks to this one). localhost pages run on the participant's own machine, so
 * allowing them gives a remote attacker nothing.
 */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'self',
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
  'https://localhost:*',
  'https://127.0.0.1:*',
  'https://[::1]:*',
];

interface Pattern {
  protocol: string;
  hostname: string;
  /** '' = the scheme's default port, '*' = any. */
  port: string;
}

const PATTERN = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}|\*))?$/;

/** Parses ALLOWED_ORIGINS; throws a message naming the variable on a bad entry. */
export function parseAllowedOrigins(value: string): string[] {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new Error('ALLOWED_ORIGINS is set but names no origin');
  for (const entry of entries) {
    if (entry === 'self' || entry === '*') continue;
    const match = PATTERN.exec(entry);
    const port = match?.[3];
    if (!match || (port !== undefined && port !== '*' && (Number(port) < 1 || Number(port) > 65_535))) {
      throw new Error(
        `ALLOWED_ORIGINS entries are self, *, or origins like https://meet.example.com or http://localhost:*, got "${entry}"`,
      );
    }
  }
  return entries;
}

export type OriginVerdict = { ok: true } | { ok: false; origin: string; reason: string };

/** The decision for one handshake, from its headers. Never throws. */
export function createOriginCheck(settings: OriginSettings): (headers: IncomingHttpHeaders) => OriginVerdict {
  const anyOrigin = settings.allowed.includes('*');
  const self = settings.allowed.includes('self');
  const patterns = settings.allowed.filter((e) => e !== 'self' && e !== '*').map(toPattern);

  return (headers) => {
    const origin = headers.origin;
    if (origin === undefined || origin === '') {
      return settings.requireOrigin
        ? { ok: false, origin: '(none)', reason: 'no Origin header' }
        : { ok: true };
    }
    if (anyOrigin) return { ok: true };
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      // `null` (sandboxed frames, file://) and garbage.
      return { ok: false, origin, reason: 'Origin is not a URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { ok: false, origin, reason: 'Origin is not http(s)' };
    }
    if (self && selfHosts(headers).includes(url.host)) return { ok: true };
    for (const p of patterns) {
      if (
        p.protocol === url.protocol &&
        p.hostname === url.hostname &&
        (p.port === '*' || p.port === url.port)
      ) {
        return { ok: true };
      }
    }
    return { ok: false, origin, reason: 'Origin not allowed' };
  };
}

/**
 * The host the request is addressed to: `Host`, and a reverse proxy's `X-Forwarded-Host` (nginx's
 * `proxy_pass http://upstream` rewrites `Host` to the upstream's name). A page cannot forge the
 * latter: browsers send no custom header on a WebSocket handshake, and a cross-origin fetch
 * with one needs a CORS preflight this server never grants. Other clients can send anything,
 * Origin included, so they gain nothing from it.
 */
function selfHosts(headers: IncomingHttpHeaders): string[] {
  const hosts: string[] = [];
  if (typeof headers.host === 'string') hosts.push(headers.host.toLowerCase());
  const forwarded = headers['x-forwarded-host'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  if (first) hosts.push(first.toLowerCase());
  return hosts;
}

function toPattern(entry: string): Pattern {
  const [, scheme = '', host = '', port = ''] = PATTERN.exec(entry) ?? [];
  // Normalised as the URL class normalises the request's Origin (lower case, default port '').
  const url = new URL(`${scheme}://${host}`);
  const defaultPort = scheme === 'https' ? '443' : '80';
  return { protocol: url.protocol, hostname: url.hostname, port: port === defaultPort ? '' : port };
}
