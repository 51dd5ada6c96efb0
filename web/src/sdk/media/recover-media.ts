/**
 * How broken peer connections come back (spec §5). Two strategies, chosen by configuration:
 *
 * - `fast` (default): ICE restart at once when the path is known to be gone (our network
 *   changed, ICE `disconnected`), again each `reRestartMs` while bytes do not flow (the new
 *   address can reach Chrome 1.5–2 s after the change, after the first restart gathered), and a
 *   rebuild on the same local stream after `rebuildAfterMs`, or at once when simple-peer
 *   destroyed the peer or Chrome keeps a dead pair over the restart's working one (a rebuilt
 *   link that carries nothing goes round again). A stall alone (silence with no network event)
 *   waits `stallGraceMs` first: a path that comes back by itself resumes in ~50 ms on the old
 *   pair, while an ICE restart started during the outage can freeze video for seconds after it.
 * - `naive`: what a plain WebRTC app does — restart only when ICE says `disconnected`, rebuild
 *   only a destroyed peer. Kept as the benchmark's baseline.
 * "Works again" means inbound media bytes grow: Chrome may report `connected` throughout a dead
 * path or a restart, so states alone cannot say it.
 */
import { asyncScheduler, filter, type SchedulerLike, type Subscription, timer } from 'rxjs';
import { watchAddressChanges } from './local-addresses.ts';
import type { PeerSnapshot } from './mesh.ts';
import type { RecoveryMode, RecoveryOptions, RecoveryTarget } from './recovery-types.ts';
import { StuckRestarts } from './stuck-restart.ts';

export type { RecoveryMode, RecoveryOptions, RecoveryTarget } from './recovery-types.ts';

/** How often a link being restarted is checked for a new path Chrome does not use (ice-path.ts). */
const STRANDED_POLL_MS = 200;
/** Stranded polls in a row before a rebuild: the initiator 4, the other side 6 (it sees a new pair
 * work before the nomination). CI rebuilt an IP change at 1 poll, a gapless switch at 2. */
const STRANDED_POLLS = { initiator: 4, other: 6 };
/**
 * A rebuild due this soon after our network came back waits until then: the old pair resumes in
 * ~50–300 ms, and a link made at once gathers before Chrome knows the network again (it took
 * 1.2 s to connect: bench:peers link-down-5s, whose 5 s outage ends on the rebuild bound).
 */
const SETTLE_AFTER_NETWORK_MS = 1_000;

interface Watch {
  bytes: number | null;
  timers: Subscription[];
  /** Still in a stall's grace: nothing restarted yet. */
  waiting: boolean;
  /** Polls in a row that found the link stranded (ice-path.ts). */
  stranded: number;
}

export class MediaRecovery {
  readonly mode: RecoveryMode;
  readonly #target: RecoveryTarget;
  readonly #scheduler: SchedulerLike;
  readonly #reRestartMs: number;
  readonly #rebuildAfterMs: number;
  readonly #rebuiltGraceMs: number;
  readonly #stallGraceMs: number;
  readonly #watches = new Map<string, Watch>();
  /** The last state seen per participant: a new generation is a new link, whoever made it. */
  readonly #last = new Map<string, PeerSnapshot>();
  readonly #subs: Subscription[] = [];
  readonly #stuckRestarts: StuckRestarts;
  readonly #localAddresses: (() => Promise<ReadonlySet<string>>) | null;
  readonly #addressPollMs: number;
  #addressPoll: Subscription | null = null;
  #networkChangedAt = Number.NEGATIVE_INFINITY;
  /** When each participant's link was last rebuilt for a lost address (`pathLost`). */
  readonly #rebuiltForLoss = new Map<string, number>();

  constructor(target: RecoveryTarget, options: RecoveryOptions = {}) {
    this.#target = target;
    this.mode = options.mode ?? 'fast';
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#reRestartMs = options.reRestartMs ?? 750;
    this.#rebuildAfterMs = options.rebuildAfterMs ?? 5_000;
    this.#rebuiltGraceMs = options.rebuiltGraceMs ?? 2_000;
    this.#stallGraceMs = options.stallGraceMs ?? 1_000;
    this.#localAddresses = options.localAddresses ?? null;
    this.#addressPollMs = options.addressPollMs ?? 200;
    const stuck = { current: (id: string) => this.#last.get(id), onStuck: (id: string) => this.#rebuild(id) };
    this.#stuckRestarts = new StuckRestarts(this.#rebuildAfterMs, this.#scheduler, stuck);
    this.#subs.push(
      target.peerState$.subscribe((p) => this.#onPeerState(p)),
      target.mediaStalls$
        .pipe(filter(() => this.mode === 'fast'))
        .subscribe(({ userId }) => this.recover(userId, { graceMs: this.#stallGraceMs })),
    );
  }

  /** Our network changed (offline/online, new address): every path may be dead. */
  networkChanged(): void {
    if (this.mode !== 'fast') return;
    this.#networkChangedAt = this.#scheduler.now();
    for (const userId of this.#target.peers.keys()) {
      if (this.#coveredByLoss(userId)) continue;
      if (this.#watches.get(userId)?.waiting) this.#done(userId);
      this.recover(userId);
    }
    this.#pollAddresses();
  }

  /**
   * Our own connectivity broke (a resume episode began): a stalled path will not heal by itself,
   * so its grace is cut short. Peers whose media still flows are left alone: the episode may be
   * the server's (a node died), not our network's.
   */
  stallsAreOurs(): void {
    if (this.mode !== 'fast') return;
    for (const [userId, watch] of [...this.#watches]) {
      if (!watch.waiting || this.#coveredByLoss(userId)) continue;
      this.#done(userId);
      this.recover(userId);
    }
    this.#pollAddresses();
  }

  /**
   * The address these links rode is gone and another is up (lost-address.ts): rebuilt at once, as
   * a restart's new pair would wait behind the dead one until Chrome drops the address (ice-path.ts).
   * The browser's own report of that change comes 1–2 s later (an event, a stall, our episode):
   * for `rebuiltGraceMs` it leaves these links to their rebuild, which gathered without the address.
   */
  pathLost(userIds: readonly string[]): void {
    if (this.mode !== 'fast') return;
    for (const userId of userIds.filter((id) => this.#target.peers.has(id))) {
      this.#rebuiltForLoss.set(userId, this.#scheduler.now());
      this.#rebuild(userId);
    }
  }

  /**
   * New ICE servers arrived (fresh TURN credentials with a resume): peers being restarted gather
   * with them now rather than at the next tick.
   */
  iceConfigChanged(): void {
    if (this.mode !== 'fast') return;
    for (const [userId, watch] of this.#watches) if (!watch.waiting) this.#target.restartIce(userId);
  }

  /**
   * Restart (now, or after `graceMs` if bytes have not come back by then), check later, restart
   * again, rebuild last. One recovery per peer at a time.
   */
  recover(userId: string, { graceMs = 0 }: { graceMs?: number } = {}): void {
    if (this.#watches.has(userId) || !this.#target.peers.has(userId)) return;
    const watch: Watch = { bytes: null, timers: [], waiting: graceMs > 0, stranded: 0 };
    this.#watches.set(userId, watch);
    void this.#target.inboundBytes(userId).then((bytes) => {
      watch.bytes = bytes;
    });
    const check = (ms: number, act: () => void) =>
      this.#scheduler.schedule(() => {
        void this.#flowing(userId, watch).then((flowing) => {
          if (this.#watches.get(userId) !== watch) return;
          if (flowing) this.#done(userId);
          else act();
        });
      }, ms);
    // A link still making its first ICE checks (a relay can take seconds) is left to finish
    // them, and a stranded one to its rebuild: a restart would throw away checks that work.
    const restart = () =>
      void this.#target.icePath(userId).then((path) => {
        if (path === 'settled' && this.#watches.get(userId) === watch) this.#target.restartIce(userId);
      });
    if (graceMs === 0) this.#target.restartIce(userId);
    else
      watch.timers.push(
        check(graceMs, () => {
          watch.waiting = false;
          restart();
        }),
      );
    // Again each `reRestartMs` while bytes do not flow: the new address may reach Chrome only
    // after a restart has gathered, and each late restart costs a whole interval.
    for (let at = graceMs + this.#reRestartMs; at < graceMs + this.#rebuildAfterMs; at += this.#reRestartMs) {
      watch.timers.push(check(at, restart));
    }
    const rebuild = () => {
      const settle = this.#networkChangedAt + SETTLE_AFTER_NETWORK_MS - this.#scheduler.now();
      if (settle > 0) watch.timers.push(check(settle, () => this.#rebuild(userId)));
      else this.#rebuild(userId);
    };
    watch.timers.push(
      check(graceMs + this.#rebuildAfterMs, rebuild),
      // A restart whose new path works while Chrome keeps the dead old one: rebuilt (ice-path.ts).
      timer(STRANDED_POLL_MS, STRANDED_POLL_MS, this.#scheduler).subscribe(
        () => void this.#rebuildIfStranded(userId, watch),
      ),
    );
  }

  async #rebuildIfStranded(userId: string, watch: Watch): Promise<void> {
    if (watch.waiting) return;
    watch.stranded = (await this.#target.icePath(userId)) === 'stranded' ? watch.stranded + 1 : 0;
    const polls = STRANDED_POLLS[this.#target.peers.get(userId)?.initiator ? 'initiator' : 'other'];
    if (watch.stranded < polls || this.#watches.get(userId) !== watch) return;
    // Chrome also keeps an old pair that still works: that link is fine as it is.
    if (!(await this.#flowing(userId, watch)) && this.#watches.get(userId) === watch) this.#rebuild(userId);
  }

  #rebuild(userId: string): void {
    this.#done(userId);
    this.#target.rebuildPeer(userId);
    // The new link is watched too: one that does not carry media within the bound (both sides
    // rebuilt at once, or it was made while the path was still dead) goes round again.
    this.recover(userId, { graceMs: this.#rebuiltGraceMs });
  }

  #coveredByLoss(userId: string): boolean {
    const at = this.#rebuiltForLoss.get(userId) ?? Number.NEGATIVE_INFINITY;
    return this.#scheduler.now() - at < this.#rebuiltGraceMs;
  }

  /** The participant left: nothing to recover. */
  forget(userId: string): void {
    this.#done(userId);
    this.#last.delete(userId);
    this.#rebuiltForLoss.delete(userId);
    this.#stuckRestarts.forget(userId);
  }

  stop(): void {
    for (const userId of [...this.#watches.keys()]) this.#done(userId);
    for (const sub of this.#subs) sub.unsubscribe();
    this.#stuckRestarts.stop();
  }

  /**
   * After our own network changed, while peers are being recovered: a restart only offers the
   * addresses Chrome knew when it gathered, and Chrome learns a new one 1.5–2 s after the
   * change, and forgets a lost one as late (1.4–2.7 s on a dual-homed host losing an interface).
   * The moment an address appears or goes, restart every peer whose restarts began (one in a
   * stall's grace is left to it), instead of waiting up to `reRestartMs` for the next: measured
   * on the dual-homed switch, video back after 2.37 s instead of 3.37 s (median of 6 each,
   * alternated). A stall on a peer whose network changed says nothing of ours: no polling for it.
   */
  #pollAddresses(): void {
    const gather = this.#localAddresses;
    if (this.#addressPoll || !gather || this.mode !== 'fast' || this.#watches.size === 0) return;
    this.#addressPoll = watchAddressChanges(gather, this.#addressPollMs, this.#scheduler, () => {
      for (const [userId, watch] of this.#watches) if (!watch.waiting) this.#target.restartIce(userId);
    });
  }

  #onPeerState(p: PeerSnapshot): void {
    const before = this.#last.get(p.userId);
    this.#last.set(p.userId, p);
    if (p.closed) {
      // simple-peer destroys itself on connectionState `failed`: only a new peer helps.
      this.#done(p.userId);
      this.#target.rebuildPeer(p.userId);
      return;
    }
    if (this.mode === 'naive') {
      if (p.iceConnectionState === 'disconnected') this.#target.restartIce(p.userId);
      return;
    }
    this.#stuckRestarts.observe(p, before);
    if (before && p.generation > before.generation && this.#watches.has(p.userId)) {
      // A new link while we recover: the other side rebuilt, or we did. It gets its own time
      // from now; the old schedule would rebuild it again before it could connect (both sides
      // rebuilding in turn kept replacing relayed links that needed 1–5 s to connect).
      this.#done(p.userId);
      this.recover(p.userId, { graceMs: this.#rebuiltGraceMs });
      return;
    }
    if (p.iceConnectionState === 'disconnected' || p.iceConnectionState === 'failed') this.recover(p.userId);
  }

  async #flowing(userId: string, watch: Watch): Promise<boolean> {
    const now = await this.#target.inboundBytes(userId);
    const before = watch.bytes;
    watch.bytes = now;
    // A link that had no pair at the start (a rebuilt one) is flowing once it received anything.
    return now !== null && now > (before ?? 0);
  }

  #done(userId: string): void {
    const watch = this.#watches.get(userId);
    if (!watch) return;
    this.#watches.delete(userId);
    for (const t of watch.timers) t.unsubscribe();
    if (this.#watches.size === 0) {
      this.#addressPoll?.unsubscribe();
      this.#addressPoll = null;
    }
  }
}
