import type { OutgoingHttpHeaders } from 'node:http';

/** A Host header that is only a host and a port (it is echoed into the CSP). */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Headers on every HTTP response of the app's port and of the metrics port (issue 12):
 * - CSP: the built app is one module script and one stylesheet from /assets/ (no inline script
 *   or style: `npm run build` makes none, tests/e2e/security-headers.spec.ts proves no violation);
 *   `connect-src` names ws:/wss: of the page's own host explicitly (CSP 3 lets 'self' cover
 *   them, older engines do not); `img-src data:` for the empty favicon `data:,`; media come from
 *   MediaStreams (`srcObject`, no URL), `blob:` kept for a recording or snapshot feature. No
 *   framing (`frame-ancestors 'none'`: nobody can overlay the meeting), no plugins, no `<base>`.
 * - `nosniff`, `no-referrer` (a room link is a meeting's name: it must not leak to other sites),
 *   camera and microphone for this origin only (not for frames of others).
 * Node's http server sends no framework banner (`X-Powered-By`); nothing here adds one.
 */
export function securityHeaders(host: string | undefined): OutgoingHttpHeaders {
  const self = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "media-src 'self' blob:",
      `connect-src 'self'${self}`,
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'permissions-policy': 'camera=(self), microphone=(self)',
  };
}
