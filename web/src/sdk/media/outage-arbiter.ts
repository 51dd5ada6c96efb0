/**
 * One media outage, one episode (spec §5). When a participant's media stalls or its peer
 * connection breaks, this decides, together with the other side, whose outage it is
 * (outage-owner.ts), and tells the facade when it is ours: only then does it become a resume
 * trigger. The other side shows the tile as "reconnecting" and runs no episode.
 *
 * The decision, in order:
 * 1. the server already marks them away (their socket dropped): theirs;
 * 2. we are resuming, or have just resumed: ours, covered by that episode;
 * 3. our socket does not answer a ping within its deadline: ours (our network broke), unless it
 *    carried their probe and our answer meanwhile (slow, not dead: their verdict is coming). While
 *    someone else's media still reaches us, our network most likely works, and the ping gets the
 *    longest deadline: only a dead socket, not a busy page or server, makes it ours then;
 * 4. they do not answer a `probe` over signaling: theirs (their socket is dead, they resume);
 * 5. they answer that they are resuming: theirs;
 * 6. both sockets live, only media broke: the pair's initiator applies `decideOwner` to both
 *    sides' `pathsOk` and tells the other side (in its `probe-ack`, or in a `media-outage`).
 * A decision stands until media from that participant decodes again (ours: until our episode
 * ends), so the later signs of the same outage (ICE `disconnected` at ~7 s, `failed` at ~17 s,
 * a rebuild) decide nothing new, and one decider per pair means both sides hold the same one.
 * Theirs by 1. or 4. means their network is gone, not just a path: the facade is told, to stop
 * sending them media that would wait in the network and play late (outgoing-media.ts). While 3.
 * to 6. are found out, their network is in doubt: the facade holds that media meanwhile and sends
 * again when the doubt ends otherwise (what it sent before the socket's silence was known got
 * resent and played late).
 */
import { asyncScheduler, map, Observable, type SchedulerLike, Subject } from 'rxjs';
import { decideOwner, fromWire, type OutageOwner, toWire } from './outage-owner.ts';
import type { OutageSignal } from './wire.ts';

export type OutageReason = 'media-stall' | 'peer-disconnected' | 'peer-failed';

/** What the arbiter needs from the mesh and the facade. */
export interface ArbiterPorts {
  send(userId: string, data: OutageSignal): void;
  /** We are the pair's initiator (the smaller userId). */
  initiates(userId: string): boolean;
  /** Some participant other than `userId` still sends us media. */
  pathsOkExcept(userId: string): boolean;
  /** The participant's media decodes here (not being recovered). */
  flowingFrom(userId: string): boolean;
  /**
   * Our signaling socket answers a ping: within a deadline drawn from its recent replies, or,
   * `patient`, within the longest one.
   */
  socketAlive(patient: boolean): Promise<boolean>;
  /** A resume episode of ours is running. */
  resuming(): boolean;
  /** Our last episode ended so recently that a stall now is still its outage. */
  justResumed(): boolean;
  /** The server marks the participant as reconnecting: its socket is gone. */
  away(userId: string): boolean;
  /** Their socket is dead (the server says so, or they do not answer): their network is gone. */
  theirNetworkGone(userId: string): void;
  /** Whether their network went with their path is being found out (true), or it did not (false). */
  theirNetworkInDoubt(userId: string, inDoubt: boolean): void;
}

export interface ArbiterOptions {
  scheduler?: SchedulerLike;
  /** Two signaling round trips; silence this long means the other socket is dead. */
  answerTimeoutMs?: number;
}

/** An outage given to us. `covered`: an episode of ours already covers it (no new trigger). */
export interface OurOutage {
  userId: string;
  reason: OutageReason;
  covered: boolean;
}

interface Outage {
  owner: OutageOwner;
  reason: OutageReason;
}

type Question = Extract<OutageSignal, { type: 'probe' | 'media-check' }>;
type Answer = Extract<OutageSignal, { type: 'probe-ack' | 'media-check-ack' }>;

export const ANSWER_TIMEOUT_MS = 1_000;

export class OutageArbiter {
  readonly #ports: ArbiterPorts;
  readonly #scheduler: SchedulerLike;
  readonly #answerTimeoutMs: number;
  readonly #outages = new Map<string, Outage>();
  readonly #deciding = new Set<string>();
  /** Deciding, and their probe came and was answered over our socket: slow, maybe; not dead. */
  readonly #carriedProbe = new Set<string>();
  readonly #questions = new Map<number, (answer: Answer) => void>();
  #seq = 0;
  readonly #ours = new Subject<OurOutage>();

  /** Every outage decided as ours (the facade starts an episode for those not `covered`). */
  readonly ours$: Observable<OurOutage> = this.#ours.asObservable();

  constructor(ports: ArbiterPorts, options: ArbiterOptions = {}) {
    this.#ports = ports;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#answerTimeoutMs = options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  }

  /** Who owns the current outage with `userId`, if one is decided. */
  owner(userId: string): OutageOwner | null {
    return this.#outages.get(userId)?.owner ?? null;
  }

  /** Participants whose outage is ours. */
  get owned(): string[] {
    return [...this.#outages].flatMap(([userId, o]) => (o.owner === 'us' ? [userId] : []));
  }

  /** A sign that the media path with `userId` broke (a stall, ICE `disconnected`/`failed`). */
  trouble(userId: string, reason: OutageReason): void {
    if (this.#outages.has(userId) || this.#deciding.has(userId)) return;
    if (this.#ports.away(userId)) this.#theirNetworkGone(userId, reason);
    else if (this.#covered()) this.#settle(userId, 'us', reason, true);
    else {
      this.#deciding.add(userId);
      this.#ports.theirNetworkInDoubt(userId, true);
      // On a loaded machine a fresh socket's 300 ms deadline ran out while the other participants'
      // video flowed: both sides of the pair then ran an episode (e2e, short media cut, busy loop).
      void this.#ports.socketAlive(this.#ports.pathsOkExcept(userId)).then((alive) => {
        if (!this.#deciding.has(userId)) return;
        // A ping that missed its deadline after our socket carried their probe (their verdict is
        // on its way) is a slow socket: taking the outage now made two episodes of one.
        if (alive || this.#carriedProbe.has(userId)) this.#probe(userId, reason);
        else {
          this.#decided(userId);
          this.#settle(userId, 'us', reason);
        }
      });
    }
  }

  /** A message of the outage protocol from `userId`. */
  handle(userId: string, data: OutageSignal): void {
    switch (data.type) {
      case 'probe': {
        const resuming = this.#covered();
        let owner: OutageOwner | undefined;
        if (resuming) {
          // Their path to us died during our own episode: it covers this too.
          if (!this.#outages.has(userId)) this.#settle(userId, 'us', 'media-stall', true);
        } else if (this.#ports.initiates(userId)) {
          owner = this.#outages.get(userId)?.owner;
          if (owner === undefined) {
            owner = this.#decide(userId, data.pathsOk);
            this.#decided(userId);
            this.#settle(userId, owner, 'media-stall');
          }
        } else if (this.#deciding.has(userId)) this.#carriedProbe.add(userId);
        this.#ports.send(userId, {
          type: 'probe-ack',
          id: data.id,
          pathsOk: this.#ports.pathsOkExcept(userId),
          resuming,
          ...(owner === undefined ? {} : { owner: toWire(owner) }),
        });
        return;
      }
      case 'media-outage': {
        // The initiator's verdict; a dead socket of ours already made it ours, whatever it says.
        const owner = fromWire(data.owner);
        const known = this.#outages.get(userId);
        if (known && (known.owner === 'us' || owner !== 'us')) return;
        this.#decided(userId);
        this.#settle(userId, owner, known?.reason ?? 'media-stall');
        return;
      }
      case 'media-check':
        this.#ports.send(userId, {
          type: 'media-check-ack',
          id: data.id,
          flowing: this.#ports.flowingFrom(userId),
        });
        return;
      case 'probe-ack':
      case 'media-check-ack':
        this.#questions.get(data.id)?.(data);
        return;
    }
  }

  /** Whether `userId` decodes our media: asked over signaling, false when it does not answer. */
  remoteFlowing(userId: string): Observable<boolean> {
    return this.#ask(userId, { type: 'media-check', id: 0 }).pipe(
      map((answer) => answer?.type === 'media-check-ack' && answer.flowing),
    );
  }

  /** Media from `userId` decodes again: the outage is over (ours lasts until our episode ends). */
  recovered(userId: string): void {
    const outage = this.#outages.get(userId);
    if (outage && !(outage.owner === 'us' && this.#ports.resuming())) this.#outages.delete(userId);
  }

  /** Our episode ended (media back, or given up): the outages it covered are over. */
  episodeEnded(): void {
    for (const userId of this.owned) this.#outages.delete(userId);
  }

  /** The participant left. */
  forget(userId: string): void {
    this.#outages.delete(userId);
    this.#deciding.delete(userId);
    this.#carriedProbe.delete(userId);
  }

  stop(): void {
    this.#outages.clear();
    this.#deciding.clear();
    this.#carriedProbe.clear();
    this.#questions.clear();
    this.#ours.complete();
  }

  /** Both sockets may be alive: ask them, and decide (or hear the initiator's verdict). */
  #probe(userId: string, reason: OutageReason): void {
    this.#ask(userId, { type: 'probe', id: 0, pathsOk: this.#ports.pathsOkExcept(userId) }).subscribe(
      (answer) => {
        // Decided meanwhile: their probe reached us first, or their verdict did.
        const decidedMeanwhile = this.#outages.has(userId);
        if (!this.#decided(userId, answer === null && !decidedMeanwhile) || decidedMeanwhile) return;
        if (answer === null) this.#theirNetworkGone(userId, reason);
        else if (answer.type !== 'probe-ack' || answer.resuming) this.#settle(userId, 'them', reason);
        else if (!this.#ports.initiates(userId))
          this.#settle(userId, answer.owner ? fromWire(answer.owner) : 'nobody', reason);
        else {
          const owner = this.#decide(userId, answer.pathsOk);
          this.#ports.send(userId, { type: 'media-outage', owner: toWire(owner) });
          this.#settle(userId, owner, reason);
        }
      },
    );
  }

  /**
   * The decision for `userId` is no longer pending; false if it was not. Their network stays in
   * doubt only when it is gone (`gone`, told by `#theirNetworkGone` next).
   */
  #decided(userId: string, gone = false): boolean {
    if (!this.#deciding.delete(userId)) return false;
    if (!gone) this.#ports.theirNetworkInDoubt(userId, false);
    return true;
  }

  #covered(): boolean {
    return this.#ports.resuming() || this.#ports.justResumed();
  }

  #decide(userId: string, theirPathsOk: boolean): OutageOwner {
    return decideOwner({
      initiator: this.#ports.initiates(userId),
      ourPathsOk: this.#ports.pathsOkExcept(userId),
      theirPathsOk,
    });
  }

  #settle(userId: string, owner: OutageOwner, reason: OutageReason, covered = false): void {
    this.#carriedProbe.delete(userId);
    this.#outages.set(userId, { owner, reason });
    if (owner === 'us') this.#ours.next({ userId, reason, covered });
  }

  /** Theirs, and their socket is dead: their network is gone, not just a path. */
  #theirNetworkGone(userId: string, reason: OutageReason): void {
    this.#settle(userId, 'them', reason);
    this.#ports.theirNetworkGone(userId);
  }

  /** Sends a question and emits its answer, or null when none came in time. */
  #ask(userId: string, question: Question): Observable<Answer | null> {
    return new Observable<Answer | null>((subscriber) => {
      this.#seq = (this.#seq + 1) % 2 ** 31;
      const id = this.#seq;
      const answer = (value: Answer | null) => {
        subscriber.next(value);
        subscriber.complete();
      };
      this.#questions.set(id, answer);
      const timeout = this.#scheduler.schedule(() => answer(null), this.#answerTimeoutMs);
      this.#ports.send(userId, { ...question, id });
      return () => {
        this.#questions.delete(id);
        timeout.unsubscribe();
      };
    });
  }
}
