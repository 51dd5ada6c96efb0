import { LEAVE_BEACON_PATH } from '../../../../shared/src/index.ts';

/**
 * Tells the server, by `navigator.sendBeacon`, that this page is going away (http-paths.ts): the
 * browser delivers it after the page is gone, where a socket frame written in `pagehide` may be
 * lost with the page. The body is a JSON string, sent as text/plain: a "simple" request, so a
 * server on another origin (a dev setup) needs no CORS preflight. False when the browser has no
 * beacon or refused to queue it.
 */
export function sendLeaveBeacon(serverUrl: string, token: string): boolean {
  const nav = globalThis.navigator as Navigator | undefined;
  if (typeof nav?.sendBeacon !== 'function') return false;
  try {
    return nav.sendBeacon(new URL(LEAVE_BEACON_PATH, serverUrl).href, JSON.stringify({ token }));
  } catch {
    return false;
  }
}
