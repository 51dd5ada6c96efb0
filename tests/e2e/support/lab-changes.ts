/**
 * Network changes of the namespace labs (netns.ts: one router; nat-lab.ts: NATs), the parts both
 * share: the change record, the UDP block's handle, the lab's timers (teardown clears them, so
 * nothing fires on a torn-down lab) and the order of an interface switch.
 */

/** One network change, with wall-clock times (ms since epoch) for benchmarks. */
export interface NetChange {
  kind: 'changeIp' | 'switchInterface' | 'blackholeUdp' | 'liftUdp';
  /** When the old path stopped working (address removed, link down, DROP rule in place). */
  at: number;
  /** When the new path was usable (new address, link up with default route, rule removed). */
  doneAt: number;
  /** A's address before and after (changeIp / switchInterface). */
  from?: string;
  to?: string;
  detail: string;
}

export interface UdpBlackhole {
  /** The DROP rule's change record. */
  change: NetChange;
  /** Removes the rule now (idempotent); resolves with the lift's record. */
  lift(): Promise<NetChange>;
  /** Resolves when the rule is lifted (by `forMs` or by `lift()`). */
  lifted: Promise<NetChange>;
}

/** The handle of a UDP block in place: `lift()` runs `unblock` once, and `lifted` resolves with its record. */
export function udpBlackhole(change: NetChange, unblock: () => Promise<NetChange>): UdpBlackhole {
  let resolveLifted: (c: NetChange) => void = () => {};
  const lifted = new Promise<NetChange>((r) => {
    resolveLifted = r;
  });
  let lifting: Promise<NetChange> | null = null;
  return {
    change,
    lifted,
    lift: () => {
      lifting ??= (async () => {
        const c = await unblock();
        resolveLifted(c);
        return c;
      })();
      return lifting;
    },
  };
}

/** A lab's pending timers (sleeps, scheduled lifts); `clear()` at teardown cancels them all. */
export class LabTimers {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /** Runs `fn` after `ms`, unless cleared first. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Resolves after `ms`; never, if cleared first. */
  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.after(ms, r));
  }

  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

/**
 * Moves A from one path to another. `gapMs: 0`: gapless (`up()` the new one, then `down()` the
 * old one); `gapMs > 0`: old down, the gap, new up. `at` is when the old path went down (what
 * `down()` returned), `doneAt` when the new one was up (what `up()` returned).
 */
export async function switchOver(
  gapMs: number,
  up: () => Promise<number>,
  down: () => Promise<number>,
  sleep: (ms: number) => Promise<void>,
): Promise<{ at: number; doneAt: number }> {
  if (gapMs <= 0) {
    const doneAt = await up();
    return { at: await down(), doneAt };
  }
  const at = await down();
  await sleep(gapMs);
  return { at, doneAt: await up() };
}
