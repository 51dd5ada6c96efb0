/**
 * Logged-in sockets per client address on this process (MemoryLimits.sessionsPerAddress). One
 * entry per logged-in socket; an address's count goes when its last socket does.
 */
export class AddressSessions {
  readonly #addressOf = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts this socket for `address`; false (nothing counted) when the address is full. */
  tryAdd(socketId: string, address: string): boolean {
    if (this.#addressOf.has(socketId)) return true;
    const n = this.#counts.get(address) ?? 0;
    if (n >= this.max) return false;
    this.#addressOf.set(socketId, address);
    this.#counts.set(address, n + 1);
    return true;
  }

  remove(socketId: string): void {
    const address = this.#addressOf.get(socketId);
    if (address === undefined) return;
    this.#addressOf.delete(socketId);
    const n = (this.#counts.get(address) ?? 1) - 1;
    if (n <= 0) this.#counts.delete(address);
    else this.#counts.set(address, n);
  }

  count(address: string): number {
    return this.#counts.get(address) ?? 0;
  }
}
