/**
 * While the device has no network, attempts are pointless: wait (spending no retries) and go
 * the moment it is back.
 */
import { filter, ignoreElements, type Observable, take } from 'rxjs';

/** Completes (without emitting) as soon as `online$` is true; at once if it already is. */
export function waitForNetwork(online$: Observable<boolean>): Observable<never> {
  return online$.pipe(
    filter((online) => online),
    take(1),
    ignoreElements(),
  );
}

/** Emits once when the network goes away. */
export function networkLost(online$: Observable<boolean>): Observable<false> {
  return online$.pipe(
    filter((online): online is false => !online),
    take(1),
  );
}
