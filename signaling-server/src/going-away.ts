import type { AppSocket } from './types.ts';

/** RFC 6455 §7.4.1: "an endpoint is going away, such as … a browser having navigated away from a page". */
const GOING_AWAY = 1001;

interface WsLike {
  prependOnceListener(event: 'close', listener: (code: number) => void): unknown;
}

/**
 * Marks the socket `goneAway` when its page closes the WebSocket with 1001: browsers send it
 * when the document is unloaded (tab closed, navigated away); a lost network's socket just dies,
 * and the SDK's own closes send no code. Firefox closing a tab sometimes runs no `pagehide` (no
 * leave frame, no beacon; 4 closes in 24 in firefox.spec), and the 1001 is then the only word
 * that the page is gone. engine.io does not pass the close code on, so this listens on its `ws`
 * socket, ahead of engine.io's own listener so the mark is set before the disconnect is handled;
 * again after an upgrade from long-polling, whose closes carry no code.
 */
export function watchGoingAway(socket: AppSocket): void {
  const watch = () => {
    const ws = (socket.conn.transport as unknown as { socket?: Partial<WsLike> }).socket;
    if (typeof ws?.prependOnceListener !== 'function') return;
    ws.prependOnceListener('close', (code: number) => {
      if (code === GOING_AWAY) socket.data.goneAway = true;
    });
  };
  watch();
  socket.conn.once('upgrade', watch);
}
