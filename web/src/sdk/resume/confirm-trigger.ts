/**
 * Not every trigger deserves an episode: no user-visible episode for a change that broke nothing
 * (spec §4). By class (`triggerClass`):
 * - broken: passes at once;
 * - suspect (a `connection` change, `online`): a cheap probe first, healthy → nothing;
 * - suspect until a deadline (`offline`): a grace period for the network to come back. Back in
 *   time → probed like a suspect trigger, unless it came back within ADDRESS_CHANGE_MS (an
 *   address change: passes at once); still gone when the grace runs out → passes; a broken
 *   trigger meanwhile passes at once. Chromium fires `offline` for blips that break nothing
 *   (open WebSockets and peer connections keep working), so a flapping network is not an
 *   episode per flap.
 * While probing, a later broken trigger passes at once and a later `offline` gets its own grace.
 */
import {
  asyncScheduler,
  catchError,
  defaultIfEmpty,
  defer,
  EMPTY,
  filter,
  map,
  merge,
  NEVER,
  type Observable,
  of,
  race,
  type SchedulerLike,
  switchMap,
  take,
  timeout,
  timer,
} from 'rxjs';
import type { Trigger } from './ports.ts';
import { type TriggerClass, triggerClass } from './watch-network.ts';

export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;
/** How long `offline` may last before it starts an episode by itself. */
export const OFFLINE_GRACE_MS = 1_000;
/**
 * `offline` then `online` closer than this is how Chromium reports an address change (~10 ms
 * apart, environment.md), not a blip: the signaling socket and every ICE pair ride an address
 * that is gone, so the episode starts at once instead of after a probe that must time out.
 */
export const ADDRESS_CHANGE_MS = 250;

/** Whether the network is usable, and since when (scheduler time of its last change). */
export interface NetworkState {
  online: boolean;
  since: number;
}

export interface ConfirmOptions {
  probe: () => Observable<boolean>;
  /** Hot: later triggers (a broken one cuts a probe or a grace short). */
  triggers$: Observable<Trigger>;
  /** Current value on subscription, then changes. Without it the network never comes back. */
  network$?: Observable<NetworkState>;
  scheduler?: SchedulerLike;
  /** A probe that has not answered by then counts as unhealthy. */
  probeTimeoutMs?: number;
  /** Default OFFLINE_GRACE_MS. */
  offlineGraceMs?: number;
}

/**
 * Pure: the network is usable again and became so at or after `at` (a trigger's `at`). An
 * `online` from before the trigger does not count: the browser went offline after it.
 */
export function cameBackSince(network: NetworkState, at: number): boolean {
  return network.online && network.since >= at;
}

/** What ends one step of a confirmation. */
type Decision =
  /** Start an episode with this trigger, now. */
  | { kind: 'start'; trigger: Trigger }
  /** Nothing broke: no episode. */
  | { kind: 'none' }
  /** The network is back: probe it before deciding. */
  | { kind: 'probe'; trigger: Trigger }
  /** A later trigger takes over, with its own confirmation. */
  | { kind: 'confirm'; trigger: Trigger };

/** Emits the trigger that should start an episode, or completes empty. */
export function confirmTrigger(trigger: Trigger, options: ConfirmOptions): Observable<Trigger> {
  switch (triggerClass(trigger)) {
    case 'broken':
      return of(trigger);
    case 'suspect':
      return probeFirst(trigger, options);
    case 'suspect-until-deadline':
      return graceFirst(trigger, options);
  }
}

function follow(decision: Decision, options: ConfirmOptions): Observable<Trigger> {
  switch (decision.kind) {
    case 'start':
      return of(decision.trigger);
    case 'none':
      return EMPTY;
    case 'probe':
      return probeFirst(decision.trigger, options);
    case 'confirm':
      return confirmTrigger(decision.trigger, options);
  }
}

/** The first decision wins; NEVER-padded sources keep a completion from deciding the race. */
function decide(options: ConfirmOptions, ...candidates: Observable<Decision>[]): Observable<Trigger> {
  return race(...candidates).pipe(
    take(1),
    switchMap((decision) => follow(decision, options)),
  );
}

/** Later triggers of the given classes. */
function later(options: ConfirmOptions, classes: readonly TriggerClass[]): Observable<Trigger> {
  return merge(options.triggers$, NEVER).pipe(filter((next) => classes.includes(triggerClass(next))));
}

function probeFirst(trigger: Trigger, options: ConfirmOptions): Observable<Trigger> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const probed$ = defer(() => options.probe()).pipe(
    take(1),
    timeout({ first: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, scheduler }),
    // Anything but a clear "healthy" is treated as broken: a needless resume is cheaper than a dead meeting.
    catchError(() => of(false)),
    defaultIfEmpty(false),
    map((healthy): Decision => (healthy ? { kind: 'none' } : { kind: 'start', trigger })),
  );
  const overtaken$ = later(options, ['broken', 'suspect-until-deadline']).pipe(
    map((next): Decision => ({ kind: 'confirm', trigger: next })),
  );
  return decide(options, probed$, overtaken$);
}

function graceFirst(trigger: Trigger, options: ConfirmOptions): Observable<Trigger> {
  return defer(() => {
    const scheduler = options.scheduler ?? asyncScheduler;
    // From when the change was seen, not from when a coalesced trigger was emitted.
    const at = trigger.at ?? scheduler.now();
    const graceMs = options.offlineGraceMs ?? OFFLINE_GRACE_MS;
    const back$ = merge(options.network$ ?? EMPTY, NEVER).pipe(
      filter((network) => cameBackSince(network, at)),
      map(
        (network): Decision =>
          network.since - at < ADDRESS_CHANGE_MS ? { kind: 'start', trigger } : { kind: 'probe', trigger },
      ),
    );
    const broken$ = later(options, ['broken']).pipe(
      map((next): Decision => ({ kind: 'start', trigger: next })),
    );
    // Not back by then (back$ would have won): still offline.
    const graceOver$ = timer(Math.max(0, at + graceMs - scheduler.now()), scheduler).pipe(
      map((): Decision => ({ kind: 'start', trigger })),
    );
    return decide(options, back$, broken$, graceOver$);
  });
}
