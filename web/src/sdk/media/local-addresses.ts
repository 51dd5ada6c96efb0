/**
 * Which IP addresses WebRTC can gather from right now. Chrome learns a new address ~1.5–2 s
 * after a change (environment.md; 2.006–2.010 s in bench:recovery --trace when the browser
 * fires no offline/online), and an ICE restart only offers what Chrome knew when it gathered.
 * A restart that gathered too early is repeated the moment a new address shows up.
 */
import { type SchedulerLike, type Subscription, timer } from 'rxjs';

/**
 * Host candidates of a throwaway connection, as far as they came within `timeoutMs` (host
 * candidates take a few ms; a gathering can take a second to finish while the network is in
 * flux, and the poll must not wait for that). mDNS names (`*.local`, random per connection)
 * are left out.
 *
 * `firstBurstMs`: only what came within that long of the first candidate. Chrome gives host
 * candidates in two bursts, 3–12 ms and ~120 ms in. On the lab's dual-homed host losing an
 * interface (bench:peers --trace), the first burst lacked the lost address from 28 ms after the
 * loss on; the second, like the restarts Chrome gathers, kept it until Chrome's network list
 * dropped it, 2.1 s after. A new address shows up in both only with that list.
 */
export async function gatherLocalAddresses(
  timeoutMs = 150,
  { firstBurstMs }: { firstBurstMs?: number } = {},
): Promise<ReadonlySet<string>> {
  const pc = new RTCPeerConnection();
  const addresses = new Set<string>();
  try {
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      let burst: ReturnType<typeof setTimeout> | undefined;
      pc.addEventListener('icecandidate', (e) => {
        if (!e.candidate) {
          clearTimeout(timer);
          clearTimeout(burst);
          resolve();
          return;
        }
        if (firstBurstMs !== undefined && burst === undefined) burst = setTimeout(resolve, firstBurstMs);
        const address = e.candidate.address;
        if (address && !address.endsWith('.local')) addresses.add(address);
      });
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await done;
  } finally {
    pc.close();
  }
  return addresses;
}

/**
 * A gathering's first burst (lost-address.ts): its candidates come within a few ms, the second
 * ~100 ms later. On a busy machine the first can take 80 ms to come.
 */
export function gatherFirstBurst(): Promise<ReadonlySet<string>> {
  return gatherLocalAddresses(250, { firstBurstMs: 30 });
}

/** The addresses in `now` that `known` does not have. */
export function newAddresses(known: ReadonlySet<string>, now: ReadonlySet<string>): string[] {
  return [...now].filter((a) => !known.has(a));
}

/**
 * Polls `gather` every `pollMs`; `onChange` when an address never seen since the poll began
 * appears (a new network) or one of the last poll's goes (a lost one; one that comes back is not
 * news). An empty reading (no network yet) changes nothing.
 */
export function watchAddressChanges(
  gather: () => Promise<ReadonlySet<string>>,
  pollMs: number,
  scheduler: SchedulerLike,
  onChange: () => void,
): Subscription {
  let known: Set<string> | null = null;
  let last: ReadonlySet<string> | null = null;
  let busy = false;
  return timer(0, pollMs, scheduler).subscribe(() => {
    if (busy) return;
    busy = true;
    gather().then(
      (now) => {
        busy = false;
        if (now.size === 0) return;
        const fresh =
          known !== null &&
          (newAddresses(known, now).length > 0 || (last !== null && newAddresses(now, last).length > 0));
        known = new Set([...(known ?? []), ...now]);
        last = now;
        if (fresh) onChange();
      },
      () => {
        busy = false;
      },
    );
  });
}
