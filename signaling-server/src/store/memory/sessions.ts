import type { Clock } from '../../clock.ts';
import type { LoginSession, NewSession, SessionStore } from '../store.ts';

/** Login sessions and their resume tokens, in plain maps. */
export class MemorySessions implements SessionStore {
  readonly #sessions = new Map<string, LoginSession>();
  /** token hash → userId */
  readonly #tokens = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  /** A copy, for `MemoryStore.dump()`. */
  dump(): { sessions: LoginSession[]; tokens: [string, string][] } {
    return {
      sessions: [...this.#sessions.values()].map((s) => ({ ...s })),
      tokens: [...this.#tokens],
    };
  }

  async createSession(session: NewSession): Promise<void> {
    this.#sessions.set(session.userId, {
      userId: session.userId,
      name: session.name,
      tokenHash: session.tokenHash,
      socketId: session.socketId,
      expiresAt: null,
    });
    this.#tokens.set(session.tokenHash, session.userId);
  }

  async getSession(userId: string): Promise<LoginSession | null> {
    const session = this.#liveSession(userId);
    return session ? { ...session } : null;
  }

  async setToken(userId: string, tokenHash: string): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    if (session.tokenHash) this.#tokens.delete(session.tokenHash);
    session.tokenHash = tokenHash;
    this.#tokens.set(tokenHash, userId);
  }

  async takeToken(tokenHash: string): Promise<LoginSession | null> {
    const userId = this.#tokens.get(tokenHash);
    if (userId === undefined) return null;
    this.#tokens.delete(tokenHash);
    const session = this.#liveSession(userId);
    if (!session || session.tokenHash !== tokenHash) return null;
    const taken = { ...session };
    session.tokenHash = null;
    return taken;
  }

  async attachSession(userId: string, socketId: string): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    session.socketId = socketId;
    session.expiresAt = null;
  }

  async detachSession(userId: string, expiresAt: number): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    session.socketId = null;
    session.expiresAt = expiresAt;
  }

  async deleteSession(userId: string): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    if (session.tokenHash) this.#tokens.delete(session.tokenHash);
    this.#sessions.delete(userId);
  }

  async usersOnNode(nodeId: string): Promise<string[]> {
    const prefix = `${nodeId}/`;
    return [...this.#sessions.values()]
      .filter((s) => s.socketId?.startsWith(prefix) && this.#liveSession(s.userId))
      .map((s) => s.userId);
  }

  /** A session past its expiry is gone, whether or not its expiry timer has run yet. */
  #liveSession(userId: string): LoginSession | undefined {
    const session = this.#sessions.get(userId);
    if (!session) return undefined;
    if (session.expiresAt !== null && session.expiresAt <= this.clock.now()) {
      if (session.tokenHash) this.#tokens.delete(session.tokenHash);
      this.#sessions.delete(userId);
      return undefined;
    }
    return session;
  }
}
