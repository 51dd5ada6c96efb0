/**
 * Who is in the mesh: one record per remote participant, found by userId (stable across a
 * resume) or by the participant's current handle (what incoming signals carry).
 */
import type { PeerLinkLike } from './link-types.ts';
import type { Member, PeerDiagnostics } from './mesh-types.ts';

export class MeshMembers {
  readonly #byUser = new Map<string, Member>();
  readonly #userByHandle = new Map<number, string>();

  get(userId: string): Member | undefined {
    return this.#byUser.get(userId);
  }

  byHandle(handle: number): Member | undefined {
    const userId = this.#userByHandle.get(handle);
    return userId === undefined ? undefined : this.#byUser.get(userId);
  }

  values(): IterableIterator<Member> {
    return this.#byUser.values();
  }

  userIds(): string[] {
    return [...this.#byUser.keys()];
  }

  add(member: Member): void {
    this.#byUser.set(member.userId, member);
    this.#userByHandle.set(member.handle, member.userId);
  }

  /** The participant resumed on a new handle; its record (and link) stays. */
  rehandle(member: Member, handle: number): void {
    this.#userByHandle.delete(member.handle);
    member.handle = handle;
    this.#userByHandle.set(handle, member.userId);
  }

  remove(member: Member): void {
    this.#byUser.delete(member.userId);
    this.#userByHandle.delete(member.handle);
  }

  /** Whether the record is still the one for its participant (not removed, not replaced). */
  isCurrent(member: Member): boolean {
    return this.#byUser.get(member.userId) === member;
  }

  /** The participant's link, unless there is none or it is closed. */
  liveLink(userId: string): PeerLinkLike | null {
    const link = this.#byUser.get(userId)?.link;
    return link && !link.closed ? link : null;
  }

  /** userId → the local address of the live link's selected pair, for pairs on a host candidate. */
  async hostAddresses(): Promise<ReadonlyMap<string, string>> {
    const read = async (userId: string) =>
      [
        userId,
        await this.liveLink(userId)
          ?.hostAddress()
          .catch(() => null),
      ] as const;
    const entries = await Promise.all(this.userIds().map(read));
    return new Map(entries.flatMap(([userId, address]) => (address ? [[userId, address] as const] : [])));
  }

  diagnostics(): PeerDiagnostics[] {
    return [...this.#byUser.values()].flatMap((m) =>
      m.link
        ? [
            {
              userId: m.userId,
              handle: m.handle,
              generation: m.generation,
              stuckRebuilds: m.stuckRebuilds,
              ...m.link.diagnostics(),
            },
          ]
        : [],
    );
  }
}
