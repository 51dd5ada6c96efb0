/**
 * Polls the inbound bytes of every connected link and reports the ones that went silent
 * (stall-detector.ts decides); and says whether some other path still carries media, which is
 * how an outage is told apart from one participant's trouble.
 */
import { interval, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import type { PeerLinkLike } from './link-types.ts';
import { type StallSample, type StallTrack, trackStalls } from './stall-detector.ts';

/**
 * A path that received something this recently works. A healthy path has grown within one poll
 * (200 ms); when one path is reported stalled (700 ms), another cut at the same instant has been
 * silent at least one poll less (500 ms). Between the two.
 */
const PATH_OK_SILENCE_MS = 400;

export interface StallWatchDeps {
  /** The current link of each participant. */
  links(): Iterable<{ userId: string; link: PeerLinkLike | null }>;
  /** The participant's current link (a sample from a replaced one says nothing of it). */
  linkOf(userId: string): PeerLinkLike | null;
  now(): number;
  scheduler: SchedulerLike;
  pollMs: number;
  stallMs: number;
}

const connected = (link: PeerLinkLike | null): link is PeerLinkLike =>
  !!link && !link.closed && link.state.connectionState === 'connected';

export class StallWatch {
  readonly #deps: StallWatchDeps;
  #poll: Subscription | null = null;
  #tracks: ReadonlyMap<string, StallTrack> = new Map();
  readonly #stalls = new Subject<{ userId: string }>();
  /** A connected participant from which no media bytes arrived for `stallMs` (once per stall); its link is marked broken first. */
  readonly stalls$: Observable<{ userId: string }> = this.#stalls.asObservable();

  constructor(deps: StallWatchDeps) {
    this.#deps = deps;
  }

  /** Starts polling (once; it runs until `close`). */
  start(): void {
    if (this.#poll) return;
    const { links, linkOf, now, scheduler, pollMs, stallMs } = this.#deps;
    let polling = false;
    this.#poll = interval(pollMs, scheduler).subscribe(() => {
      if (polling) return;
      const current = [...links()].flatMap(({ userId, link }) => (connected(link) ? [{ userId, link }] : []));
      polling = true;
      void Promise.all(
        current.map(
          ({ userId, link }): Promise<StallSample> =>
            link.inboundBytes().then(
              (bytesReceived) => ({ userId, bytesReceived: linkOf(userId) === link ? bytesReceived : null }),
              () => ({ userId, bytesReceived: null }),
            ),
        ),
      ).then((samples) => {
        polling = false;
        if (!this.#poll) return;
        const { tracks, stalled } = trackStalls(this.#tracks, samples, now(), stallMs);
        this.#tracks = tracks;
        for (const userId of stalled) {
          linkOf(userId)?.markBroken();
          this.#stalls.next({ userId });
        }
      });
    });
  }

  /** Whether a connected link other than `userId`'s received bytes within PATH_OK_SILENCE_MS at the last poll. */
  pathsOkExcept(userId: string): boolean {
    const now = this.#deps.now();
    for (const m of this.#deps.links()) {
      if (m.userId === userId || !connected(m.link)) continue;
      const track = this.#tracks.get(m.userId);
      if (track && now - track.since < PATH_OK_SILENCE_MS) return true;
    }
    return false;
  }

  /** Stops polling for good. */
  close(): void {
    this.#poll?.unsubscribe();
    this.#poll = null;
    this.#stalls.complete();
  }
}
