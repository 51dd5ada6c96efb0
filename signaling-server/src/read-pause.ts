import { MAX_READ_PAUSE_MS } from './quotas.ts';
import type { AppSocket } from './types.ts';

/** ws's WebSocket, as engine.io's websocket transport holds it. */
interface PausableWebSocket {
  pause(): void;
  resume(): void;
  readonly isPaused: boolean;
  readonly readyState: number;
}

const OPEN = 1;

/**
 * Stops reading the socket's WebSocket for `ms` (at most MAX_READ_PAUSE_MS; quotas.ts says why):
 * Node stops reading once its small stream buffer is full, the kernel's receive window closes,
 * and TCP holds the sender back, so what it keeps sending is not even parsed. Messages already
 * read are still handled, in order; nothing is dropped. False when there is nothing to pause
 * (long-polling, a socket already paused or closed).
 */
export function pauseReading(socket: AppSocket, ms: number): boolean {
  const transport = socket.conn.transport as unknown as {
    name?: string;
    socket?: Partial<PausableWebSocket>;
  };
  const ws = transport.name === 'websocket' ? transport.socket : undefined;
  if (!ws || typeof ws.pause !== 'function' || typeof ws.resume !== 'function') return false;
  if (ws.isPaused || ws.readyState !== OPEN) return false;
  const live = ws as PausableWebSocket;
  live.pause();
  setTimeout(
    () => {
      if (live.readyState === OPEN) live.resume();
    },
    Math.min(ms, MAX_READ_PAUSE_MS),
  ).unref();
  return true;
}
