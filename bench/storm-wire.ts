/**
 * The storm bench's cheap socket.io client: engine.io v4 over a bare `ws` WebSocket (websocket
 * transport only, as the SDK connects) and socket.io v5 packets as text (CONNECT, EVENT, ACK;
 * no binary, default namespace). Pings are answered, so a seated participant stays connected.
 *
 * Why it exists: socket.io-client with the SDK's RxJS pipeline cost the load generator ~5.8 ms
 * of CPU per resume against the server's ~1.5 ms (bench:storm --profile, N = 1,000), so on one
 * core the generator saturated long before the server and the storms measured the clients.
 * The server cannot tell this client from socket.io-client: the frames on the wire are the same.
 */
import WebSocket from 'ws';

/** The server's CONNECT reply: socket id, and the session id when recovery is on (CSR). */
export interface Connected {
  sid: string;
  pid?: string;
}

export class WireClosedError extends Error {
  override name = 'WireClosedError';
}

export class WireSocket {
  /** Every event the server sends on the current connection: name and arguments. */
  onEvent: (name: string, args: unknown[]) => void = () => {};
  /** The current connection ended (any way but `close()`). */
  onClose: () => void = () => {};
  #ws: WebSocket | null = null;
  readonly #acks = new Map<number, { resolve: (args: unknown[]) => void; reject: (e: Error) => void }>();
  readonly #waits = new Map<string, { resolve: (args: unknown[]) => void; reject: (e: Error) => void }>();
  #nextAck = 0;

  constructor(
    readonly url: string,
    readonly localAddress: string,
  ) {}

  get connected(): boolean {
    return this.#ws !== null;
  }

  /**
   * A new connection (any previous one is dropped first); resolves with the CONNECT reply.
   * `untilOpen`: the timeout ends once the CONNECT is sent, as the SDK's resume socket does
   * (that CONNECT spends a resume token: only its reply carries the next one).
   */
  connect(auth: object | undefined, timeoutMs: number, { untilOpen = false } = {}): Promise<Connected> {
    this.close();
    const address = `${this.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(address, { localAddress: this.localAddress, perMessageDeflate: false });
    return new Promise<Connected>((resolve, reject) => {
      let pending = true;
      const settle = (err: Error | null, connected?: Connected): void => {
        if (!pending) return;
        pending = false;
        clearTimeout(timer);
        if (err) {
          ws.removeAllListeners();
          ws.on('error', () => {});
          ws.terminate();
          reject(err);
          return;
        }
        this.#ws = ws;
        resolve(connected as Connected);
      };
      const timer = setTimeout(() => settle(new WireClosedError('connect timeout')), timeoutMs);
      ws.on('error', (err) => settle(err));
      ws.on('close', () => {
        if (pending) settle(new WireClosedError('closed while connecting'));
        else if (this.#ws === ws) this.#lost();
      });
      ws.on('message', (data) => {
        const text = String(data);
        switch (text[0]) {
          case '0': // engine.io open: ask for the default namespace
            ws.send(auth ? `40${JSON.stringify(auth)}` : '40');
            if (untilOpen) clearTimeout(timer);
            return;
          case '2': // engine.io ping
            ws.send('3');
            return;
          case '4':
            if (text[1] === '0') settle(null, JSON.parse(text.slice(2)) as Connected);
            else if (text[1] === '4') settle(new WireClosedError(`connect error ${text.slice(2)}`));
            else if (text[1] === '2') this.#event(text.slice(2));
            else if (text[1] === '3') this.#ack(text.slice(2));
            else if (text[1] === '1') ws.terminate(); // the server disconnected this socket
            return;
        }
      });
    });
  }

  /** An event with an acknowledgement: resolves with the ack's arguments, rejects if the connection ends first. */
  request(name: string, payload: object): Promise<unknown[]> {
    const ws = this.#ws;
    if (!ws) return Promise.reject(new WireClosedError('not connected'));
    const id = this.#nextAck++;
    ws.send(`42${id}${JSON.stringify([name, payload])}`);
    return new Promise((resolve, reject) => this.#acks.set(id, { resolve, reject }));
  }

  /**
   * The next event `name` on the connection being made or current (not `onEvent`'s): resolves
   * with its arguments, rejects if the connection ends first. Call it after `connect()`, which
   * fails what waited on the connection before.
   */
  once(name: string): Promise<unknown[]> {
    const wait = new Promise<unknown[]>((resolve, reject) => this.#waits.set(name, { resolve, reject }));
    wait.catch(() => {});
    return wait;
  }

  /** The drop: the TCP connection is destroyed with no close frame, as when the Wi-Fi goes. */
  kill(): boolean {
    const tcp = (this.#ws as unknown as { _socket?: { destroy(): void } } | null)?._socket;
    if (!tcp) return false;
    tcp.destroy();
    return true;
  }

  /** Ends the connection without reporting it. */
  close(): void {
    const ws = this.#ws;
    if (!ws) return;
    this.#ws = null;
    this.#failAcks();
    ws.removeAllListeners();
    ws.on('error', () => {});
    ws.terminate();
  }

  #lost(): void {
    this.#ws = null;
    this.#failAcks();
    this.onClose();
  }

  #failAcks(): void {
    for (const { reject } of [...this.#acks.values(), ...this.#waits.values()])
      reject(new WireClosedError('connection lost'));
    this.#acks.clear();
    this.#waits.clear();
  }

  #event(body: string): void {
    const [name, ...args] = JSON.parse(body.slice(body.indexOf('['))) as [string, ...unknown[]];
    const wait = this.#waits.get(name);
    this.#waits.delete(name);
    if (wait) wait.resolve(args);
    else this.onEvent(name, args);
  }

  #ack(body: string): void {
    const open = body.indexOf('[');
    const id = Number(body.slice(0, open));
    const waiter = this.#acks.get(id);
    if (!waiter) return;
    this.#acks.delete(id);
    waiter.resolve(JSON.parse(body.slice(open)) as unknown[]);
  }
}
