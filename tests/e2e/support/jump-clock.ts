/**
 * A server clock that runs in real time and can jump ahead: the browser side of a test
 * moves with `page.clock`, the server side with `advance(ms)`, so the 60 s window is tested
 * without waiting 60 s.
 */
interface Timer {
  due: number;
  fn: () => void;
  real: ReturnType<typeof setTimeout>;
}

export class JumpClock {
  private offset = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = {
      due: this.now() + ms,
      fn,
      real: setTimeout(() => this.fire(timer), ms),
    };
    this.timers.add(timer);
    return () => {
      clearTimeout(timer.real);
      this.timers.delete(timer);
    };
  }

  /** Moves time forward by `ms` and runs, in due order, every timer that is now due. */
  advance(ms: number): void {
    this.offset += ms;
    const due = [...this.timers].filter((t) => t.due <= this.now()).sort((a, b) => a.due - b.due);
    for (const timer of due) this.fire(timer);
  }

  private fire(timer: Timer): void {
    if (!this.timers.delete(timer)) return;
    clearTimeout(timer.real);
    timer.fn();
  }
}
