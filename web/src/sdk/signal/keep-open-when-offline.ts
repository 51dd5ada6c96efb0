/**
 * engine.io closes its transport on the window's `offline` event; a resume decides for itself
 * when a socket is dead (see `keepOpenWhenOffline`).
 */
import type { ClientSocket } from './signal-client.ts';

/** engine.io's description of the close it makes on the window's `offline` event. */
const OFFLINE_CLOSE = 'network connection lost';
/** Engines already patched by `keepOpenWhenOffline`. */
const KEPT_OPEN = new WeakSet<object>();

function isOfflineClose(reason: unknown, description: unknown): boolean {
  return (
    reason === 'transport close' &&
    typeof description === 'object' &&
    description !== null &&
    (description as { description?: unknown }).description === OFFLINE_CLOSE
  );
}

/**
 * engine.io closes its transport on the window's `offline` event (for every host but
 * `localhost`). Chromium's `offline` does not mean the socket is dead: `setOffline` leaves open
 * WebSockets working, and a Wi-Fi blip may too. A dead socket is still found: an address change
 * (`offline` and `online` within milliseconds; Chromium does not close the WebSocket itself,
 * measured in the netns lab) starts an episode at once (confirm-trigger.ts), a longer outage
 * when its grace runs out or when the probe on `online` finds the socket dead, and a silent one
 * by the 2 s + 2 s heartbeat or a media stall. So that one close is ignored while the engine
 * is open. It goes through a private method (`_onClose`): an
 * engine.io without it keeps its own behaviour.
 */
function keepOpenWhenOffline(engine: unknown): void {
  if (typeof engine !== 'object' || engine === null) return;
  const target = engine as { _onClose?: unknown; readyState?: unknown };
  const original = target._onClose;
  if (typeof original !== 'function' || KEPT_OPEN.has(engine)) return;
  KEPT_OPEN.add(engine);
  target._onClose = function (this: unknown, reason: unknown, description: unknown, ...rest: unknown[]) {
    if (target.readyState === 'open' && isOfflineClose(reason, description)) return;
    return original.call(this, reason, description, ...rest);
  };
}

/** Applies `keepOpenWhenOffline` to every engine the socket's manager opens. */
export function keepSocketOpenWhenOffline(socket: ClientSocket): void {
  const manager: unknown = (socket as { io?: unknown }).io;
  if (typeof manager !== 'object' || manager === null) return;
  const { on } = manager as { on?: unknown };
  if (typeof on !== 'function') return;
  // The manager makes its engine on connect and says `open` once the handshake is done.
  on.call(manager, 'open', () => keepOpenWhenOffline((manager as { engine?: unknown }).engine));
}
