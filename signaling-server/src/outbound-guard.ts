import type { AppSocket } from './types.ts';

interface EnginePacket {
  data?: unknown;
}

/** What engine.io's websocket transport holds: a `ws` WebSocket. */
interface WsLike {
  bufferedAmount?: number;
  terminate?: () => void;
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/**
 * Disconnects a socket that stops reading (issue 12). What waits for it is engine.io's write
 * buffer (packets not yet handed to the transport: a WebSocket whose last send has not flushed
 * takes no more) plus what the `ws` socket holds unsent (`bufferedAmount`). Past `maxBytes` the
 * socket is disconnected and its connection destroyed at once, so the buffers are freed now,
 * not after the heartbeat times out (a socket that still answers pings would never time out).
 * The participant's seat is held as after any lost connection: a real client resumes.
 *
 * Checked on every outbound packet: O(1) per packet (a running count, settled on each flush).
 */
export function guardOutbound(
  socket: AppSocket,
  maxBytes: number,
  onExceeded: (bytes: number) => void,
): void {
  const conn = socket.conn as unknown as {
    on(event: 'packetCreate', fn: (packet: EnginePacket) => void): void;
    on(event: 'flush', fn: (packets: EnginePacket[]) => void): void;
    transport: { socket?: WsLike };
  };
  let queued = 0;
  let tripped = false;
  conn.on('flush', (packets) => {
    for (const p of packets) queued -= sizeOf(p.data);
    if (queued < 0) queued = 0;
  });
  conn.on('packetCreate', (packet) => {
    queued += sizeOf(packet.data);
    if (tripped) return;
    const ws = conn.transport.socket;
    const bytes = queued + (typeof ws?.bufferedAmount === 'number' ? ws.bufferedAmount : 0);
    if (bytes <= maxBytes) return;
    tripped = true;
    onExceeded(bytes);
    // Deferred: this runs inside an emit to this very socket.
    setImmediate(() => {
      socket.disconnect(true);
      // engine.io would wait for the buffer to drain (never) and ws for a close frame (30 s).
      conn.transport.socket?.terminate?.();
    });
  });
}
