import type { HandleRecord, HandleStore, ReleaseReason } from '../store.ts';

const UINT32_MAX = 0xffff_ffff;

/** Conference handles: uint32 numbers never handed out twice, and the record of each. */
export class MemoryHandles implements HandleStore {
  readonly #handles = new Map<number, HandleRecord>();
  readonly #handlesByUser = new Map<string, Set<number>>();
  #nextHandle = 1;

  /** A copy, for `MemoryStore.dump()`. */
  dump(): { handles: HandleRecord[]; handlesByUser: [string, number[]][]; nextHandle: number } {
    return {
      handles: [...this.#handles.values()].map((h) => ({ ...h })),
      handlesByUser: [...this.#handlesByUser].map(([userId, set]): [string, number[]] => [userId, [...set]]),
      nextHandle: this.#nextHandle,
    };
  }

  async allocateHandle(userId: string, room: string, socketId: string): Promise<number> {
    if (this.#nextHandle > UINT32_MAX) throw new Error('conference handles exhausted');
    const handle = this.#nextHandle++;
    this.#handles.set(handle, {
      handle,
      userId,
      room,
      state: 'live',
      socketId,
      releaseReason: null,
      originalHandle: null,
    });
    let set = this.#handlesByUser.get(userId);
    if (!set) {
      set = new Set();
      this.#handlesByUser.set(userId, set);
    }
    set.add(handle);
    return handle;
  }

  async getHandle(handle: number): Promise<HandleRecord | null> {
    const record = this.#handles.get(handle);
    return record ? { ...record } : null;
  }

  async handlesOf(userId: string): Promise<HandleRecord[]> {
    const set = this.#handlesByUser.get(userId);
    if (!set) return [];
    return [...set].flatMap((h) => {
      const record = this.#handles.get(h);
      return record ? [{ ...record }] : [];
    });
  }

  async bindHandle(handle: number, socketId: string | null): Promise<void> {
    const record = this.#handles.get(handle);
    if (record) record.socketId = socketId;
  }

  async linkHandle(newHandle: number, originalHandle: number): Promise<void> {
    const record = this.#handles.get(newHandle);
    if (record) record.originalHandle = originalHandle;
  }

  async retireHandle(handle: number): Promise<void> {
    const record = this.#handles.get(handle);
    if (!record) return;
    record.state = 'retired';
    record.socketId = null;
  }

  async releaseHandle(handle: number, reason: ReleaseReason): Promise<void> {
    const record = this.#handles.get(handle);
    if (!record) return;
    record.state = 'released';
    record.releaseReason = reason;
    record.socketId = null;
  }

  async deleteHandle(handle: number): Promise<void> {
    const record = this.#handles.get(handle);
    if (!record) return;
    this.#handles.delete(handle);
    const set = this.#handlesByUser.get(record.userId);
    set?.delete(handle);
    if (set?.size === 0) this.#handlesByUser.delete(record.userId);
  }
}
