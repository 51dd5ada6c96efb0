import type { VirtualTimeScheduler } from 'rxjs';

/**
 * Moves a VirtualTimeScheduler on in 100 ms steps; what runs on it awaits promises, so
 * `microtasks` turns of the microtask queue run after each step.
 */
export function stepper(scheduler: VirtualTimeScheduler, microtasks: number): (ms: number) => Promise<void> {
  return async (ms) => {
    const end = scheduler.now() + ms;
    while (scheduler.now() < end) {
      scheduler.maxFrames = scheduler.now() + 100;
      scheduler.flush();
      scheduler.frame = scheduler.maxFrames;
      for (let i = 0; i < microtasks; i++) await Promise.resolve();
    }
  };
}
