/**
 * Which IP addresses WebRTC can gather from right now. Chrome learns a new address ~1.5–2 s
 * after a change (environment.md; 2.006–2.010 s in bench:recovery --trace when the browser
 * fires no offline/online), and an ICE restart only offers what Chrome knew when it gathered.
 * A restart that gathered too early is repeated the moment a new address shows up.
 */

/**
 * Host candidates of a throwaway connection, as far as they came within `timeoutMs` (host
 * candidates take a few ms; a gathering can take a second to finish while the network is in
 * flux, and the poll must not wait for that). mDNS names (`*.local`, random per connection)
 * are left out.
 */
export async function gatherLocalAddresses(timeoutMs = 150): Promise<ReadonlySet<string>> {
  const pc = new RTCPeerConnection();
  const addresses = new Set<string>();
  try {
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      pc.addEventListener('icecandidate', (e) => {
        if (!e.candidate) {
          clearTimeout(timer);
          resolve();
          return;
        }
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

/** The addresses in `now` that `known` does not have. */
export function newAddresses(known: ReadonlySet<string>, now: ReadonlySet<string>): string[] {
  return [...now].filter((a) => !known.has(a));
}
