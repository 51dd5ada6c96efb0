/**
 * A TCP proxy that holds every chunk `oneWayMs` in each direction: a path with a round trip of
 * twice that (a phone on cellular: 100–300 ms) in front of a server on loopback, for benches
 * that count round trips. Order is kept (timers of one delay fire in the order they were set).
 * The TCP handshake itself is not delayed, so a new connection costs one round trip less than
 * on a real path; that is the same for everything measured through it.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface DelayProxy {
  port: number;
  close(): Promise<void>;
}

export async function startDelayProxy(
  target: { host: string; port: number },
  oneWayMs: number,
): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const forward = (from: Socket, to: Socket): void => {
    from.on('data', (chunk) => {
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, oneWayMs);
    });
    // A close travels the path too: it must not overtake the data before it.
    from.on('end', () => setTimeout(() => to.end(), oneWayMs));
    from.on('error', () => setTimeout(() => to.destroy(), oneWayMs));
    from.on('close', () => setTimeout(() => to.destroy(), oneWayMs));
  };
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('delay proxy: no port');
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
