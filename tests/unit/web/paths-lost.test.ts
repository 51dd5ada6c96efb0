import { asyncScheduler, Subscription, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { handlePathsLost, idleTask, type PathsLostDeps } from '../../../web/src/sdk/media/paths-lost.ts';

/** Deps that log what happens; `idle()` runs what waits for an idle page. */
function fakes(socketConnectedAt: number) {
  const log: string[] = [];
  let pending: (() => void) | null = null;
  const deps: PathsLostDeps = {
    inConference: () => true,
    socketConnectedAt: () => socketConnectedAt,
    holdSignals: () => log.push('hold'),
    trigger: () => log.push('trigger'),
    rebuild: (ids) => log.push(`rebuild ${ids.join(',')}`),
    whenIdle: (work) => {
      pending = work;
      return new Subscription(() => {
        pending = null;
      });
    },
  };
  return { log, deps, idle: () => pending?.() };
}

describe('handlePathsLost', () => {
  it('a socket that rode the lost address: signals held and the trigger at once, the rebuild once the page is idle', () => {
    const { log, deps, idle } = fakes(100);
    handlePathsLost(deps).onLost({ userIds: ['b', 'c'], seenAt: 500 });
    expect(log).toEqual(['hold', 'trigger']);
    idle();
    expect(log).toEqual(['hold', 'trigger', 'rebuild b,c']);
  });

  it('a socket opened after the address was last seen is not resumed: the links are rebuilt at once', () => {
    const { log, deps } = fakes(600);
    handlePathsLost(deps).onLost({ userIds: ['b'], seenAt: 500 });
    expect(log).toEqual(['rebuild b']);
  });

  it('out of the conference (before, or by the time the page is idle): nothing', () => {
    const { log, deps, idle } = fakes(0);
    let inConference = false;
    deps.inConference = () => inConference;
    const handler = handlePathsLost(deps);
    handler.onLost({ userIds: ['b'], seenAt: 1 });
    expect(log).toEqual([]);
    inConference = true;
    handler.onLost({ userIds: ['b'], seenAt: 1 });
    inConference = false;
    idle();
    expect(log).toEqual(['hold', 'trigger']);
  });

  it('a rebuild still to come is dropped with `pending` (the client stopped)', () => {
    const { log, deps, idle } = fakes(0);
    const handler = handlePathsLost(deps);
    handler.onLost({ userIds: ['b'], seenAt: 1 });
    handler.pending.unsubscribe();
    idle();
    expect(log).toEqual(['hold', 'trigger']);
  });

  it('the socket the trigger opens a few promise hops later comes before the rebuild (no idle callback here)', async () => {
    const { log, deps } = fakes(0);
    deps.whenIdle = (work) => idleTask(work, { maxWaitMs: 50, scheduler: asyncScheduler, host: {} });
    const opened = new Promise<void>((resolve) => {
      deps.trigger = () => {
        log.push('trigger');
        void Promise.resolve()
          .then(() => undefined)
          .then(() => undefined)
          .then(() => {
            log.push('socket');
            resolve();
          });
      };
    });
    handlePathsLost(deps).onLost({ userIds: ['b'], seenAt: 1 });
    await opened;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log).toEqual(['hold', 'trigger', 'socket', 'rebuild b']);
  });
});

describe('idleTask', () => {
  it("uses the browser's idle callback, bounded by maxWaitMs, and cancels it", () => {
    const calls: { timeout: number }[] = [];
    const cancelled: number[] = [];
    const host = {
      requestIdleCallback: (_run: () => void, options: { timeout: number }) => calls.push(options),
      cancelIdleCallback: (id: number) => cancelled.push(id),
    };
    const sub = idleTask(() => {}, { maxWaitMs: 50, scheduler: asyncScheduler, host });
    expect(calls).toEqual([{ timeout: 50 }]);
    sub.unsubscribe();
    expect(cancelled).toEqual([1]);
  });

  it('without one, the next task of the scheduler', () => {
    const scheduler = new VirtualTimeScheduler();
    let ran = false;
    idleTask(
      () => {
        ran = true;
      },
      { maxWaitMs: 50, scheduler, host: {} },
    );
    expect(ran).toBe(false);
    scheduler.flush();
    expect(ran).toBe(true);
  });
});
