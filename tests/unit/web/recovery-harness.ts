/** A fake mesh for MediaRecovery and a virtual-time runner (recover-media.test.ts). */
import { BehaviorSubject, Subject, VirtualTimeScheduler } from 'rxjs';
import type { IcePath } from '../../../web/src/sdk/media/ice-path.ts';
import type { PeerSnapshot } from '../../../web/src/sdk/media/mesh.ts';
import {
  MediaRecovery,
  type RecoveryOptions,
  type RecoveryTarget,
} from '../../../web/src/sdk/media/recover-media.ts';
import { stepper } from './virtual-steps.ts';

export const snapshot = (over: Partial<PeerSnapshot> = {}): PeerSnapshot => ({
  userId: 'b',
  handle: 2,
  initiator: true,
  generation: 1,
  iceConnectionState: 'connected',
  connectionState: 'connected',
  closed: false,
  ...over,
});

export class FakeTarget implements RecoveryTarget {
  readonly log: string[] = [];
  bytes = 100;
  readonly peerState$ = new Subject<PeerSnapshot>();
  readonly mediaStalls$ = new Subject<{ userId: string }>();
  readonly #peers = new BehaviorSubject<ReadonlyMap<string, PeerSnapshot>>(new Map([['b', snapshot()]]));
  constructor(private readonly now: () => number) {}
  get peers() {
    return this.#peers.value;
  }
  restartIce(userId: string) {
    this.log.push(`${this.now()} restart ${userId}`);
  }
  rebuildPeer(userId: string) {
    this.log.push(`${this.now()} rebuild ${userId}`);
  }
  inboundBytes() {
    return Promise.resolve(this.bytes);
  }
  path: IcePath = 'settled';
  icePath() {
    return Promise.resolve(this.path);
  }
  setInitiator(initiator: boolean) {
    this.#peers.next(new Map([['b', snapshot({ initiator })]]));
  }
  /** A new link to b (a rebuild, ours or the other side's). */
  newLink(generation: number) {
    this.peerState$.next(snapshot({ generation }));
  }
}

/** Virtual time in 100 ms steps; the byte checks are promises, so microtasks run after each step. */
export async function run(
  steps: (t: FakeTarget, r: MediaRecovery, advance: (ms: number) => Promise<void>) => Promise<void>,
  mode: 'fast' | 'naive' = 'fast',
  options: Pick<RecoveryOptions, 'localAddresses'> = {},
) {
  const scheduler = new VirtualTimeScheduler();
  const target = new FakeTarget(() => scheduler.now());
  const recovery = new MediaRecovery(target, {
    mode,
    scheduler,
    reRestartMs: 1_500,
    rebuildAfterMs: 5_000,
    ...options,
  });
  await steps(target, recovery, stepper(scheduler, 5));
  recovery.stop();
  return target.log;
}
