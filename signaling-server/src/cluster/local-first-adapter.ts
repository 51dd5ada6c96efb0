import {
  Adapter,
  type BroadcastOptions,
  type ClusterAdapter,
  MessageType,
  type Room,
} from 'socket.io-adapter';

type ClusterMessage = Parameters<ClusterAdapter['publish']>[0];

/**
 * A socket.io cluster adapter (here the Redis Streams one) that serves this process's own
 * sockets at once, as the in-memory adapter does, and tells the other processes through the
 * stream as before.
 *
 * Why: `ClusterAdapter` applies a broadcast (and a socketsJoin/socketsLeave/disconnectSockets)
 * to its own sockets only after Redis has answered the XADD. The handlers rely on the
 * single-process order "emit, then `socket.join`": the joiner gets the roster in its reply, not
 * its own `joined`; a resuming socket gets `replaced` once, in its replay. With the deferred
 * local delivery the socket has joined by the time the event is delivered, and gets it twice.
 * Local delivery also no longer waits for Redis (nor stalls while the bus reconnects).
 *
 * The other processes receive the same operations, in the same order, through the stream; a
 * process ignores its own entries. Connection state recovery (socket.io's offsets in packets)
 * is not supported by this wrapper; the server does not use it (the resume protocol replays).
 */
export function localFirst<A extends ClusterAdapter>(
  factory: (nsp: unknown) => A,
  onCreated: (adapter: A) => void = () => {},
): (nsp: unknown) => A {
  // A `function`, not an arrow: socket.io calls it with `new` (and takes the object it returns).
  return function localFirstAdapter(nsp: unknown): A {
    const adapter = factory(nsp);
    const local = Adapter.prototype;
    // `publishAndReturnOffset` is protected in the typings; it serializes the message at once
    // and sends it. The last one is kept: Redis runs one connection's commands in order, so
    // once it is written, so is every broadcast before it (see `published`).
    const publish = (message: ClusterMessage) => {
      const sent = (
        adapter as unknown as { publishAndReturnOffset(m: ClusterMessage): Promise<unknown> }
      ).publishAndReturnOffset(message);
      lastPublish.set(
        adapter,
        sent.then(
          () => undefined,
          () => undefined,
        ),
      );
    };
    const remote = (opts: BroadcastOptions) => !opts.flags?.local;
    // What ClusterAdapter sends (its own `encodeOptions` is not exported).
    const encode = (opts: BroadcastOptions) => ({
      rooms: [...opts.rooms],
      except: [...(opts.except ?? [])],
      flags: opts.flags ?? {},
    });

    adapter.broadcast = async (packet: unknown, opts: BroadcastOptions) => {
      if (remote(opts)) publish({ type: MessageType.BROADCAST, data: { packet, opts: encode(opts) } });
      local.broadcast.call(adapter, packet, opts);
    };
    adapter.addSockets = async (opts: BroadcastOptions, rooms: Room[]) => {
      if (remote(opts)) publish({ type: MessageType.SOCKETS_JOIN, data: { opts: encode(opts), rooms } });
      local.addSockets.call(adapter, opts, rooms);
    };
    adapter.delSockets = async (opts: BroadcastOptions, rooms: Room[]) => {
      if (remote(opts)) publish({ type: MessageType.SOCKETS_LEAVE, data: { opts: encode(opts), rooms } });
      local.delSockets.call(adapter, opts, rooms);
    };
    adapter.disconnectSockets = async (opts: BroadcastOptions, close: boolean) => {
      if (remote(opts))
        publish({ type: MessageType.DISCONNECT_SOCKETS, data: { opts: encode(opts), close } });
      local.disconnectSockets.call(adapter, opts, close);
    };
    onCreated(adapter);
    return adapter;
  };
}

const lastPublish = new WeakMap<object, Promise<void>>();

/**
 * Resolves once every broadcast this adapter made so far is in the stream (or failed). The
 * conference lock waits for it before letting another process append: events of one conference
 * then enter the stream in sequence order, and every process delivers them in that order.
 */
export function published(adapter: ClusterAdapter): Promise<void> {
  return lastPublish.get(adapter) ?? Promise.resolve();
}

/** Disconnects this process's own sockets (of the namespace `adapter` serves), no others. */
export function disconnectLocalSockets(adapter: ClusterAdapter): void {
  adapter.disconnectSockets({ rooms: new Set(), except: new Set(), flags: { local: true } }, true);
}
