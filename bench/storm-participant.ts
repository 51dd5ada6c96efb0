/**
 * What every simulated participant of the storm bench is (storm-clients.ts runs them): its
 * milestones, what it reports as it goes, and the drop that kills its TCP connection.
 */
import type { Socket } from 'socket.io-client';

export interface Tally {
  armed: boolean;
  failures: Record<string, number>;
  episodesBeforeDrop: number;
  disconnected: number;
}

export interface Participant {
  readonly doneAt: number;
  readonly closedAt: number;
  readonly loginAt: number;
  readonly attempts: number;
  /** Resumed, or gave up, since the drop. */
  readonly finished: boolean;
  setup(): Promise<void>;
  arm(): void;
  /** Kills the TCP connection under the socket; false if there was none. */
  drop(): boolean;
  close(): void;
}

/** What a participant reports as it goes. */
export interface Hooks {
  tally: Tally;
  finished(): void;
}

export function countFailure(tally: Tally, reason: string): void {
  tally.failures[reason] = (tally.failures[reason] ?? 0) + 1;
}

/**
 * The drop: the TCP connection under a socket.io-client socket (engine.io transport → ws →
 * net.Socket, private fields) is destroyed, with no WebSocket close frame. The client sees
 * 'transport close' as a browser does when the Wi-Fi goes (the socket dies under the page); the
 * server sees the connection end while it keeps running and holds the seats.
 */
export function killConnection(socket: Socket | null): boolean {
  type Engine = { engine?: { transport?: { ws?: { _socket?: { destroy(): void } | null } } } };
  const tcp = (socket?.io as unknown as Engine | undefined)?.engine?.transport?.ws?._socket;
  if (!tcp) return false;
  tcp.destroy();
  return true;
}
