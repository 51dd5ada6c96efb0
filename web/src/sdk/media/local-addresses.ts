/**
 * The addresses this browser would offer as host candidates right now. The web has no "my IP
 * changed" event, and Chrome learns a new address only 1.5–2 s after the change: a throwaway
 * peer connection that gathers host candidates is how a page sees the moment it does.
 * Used only while media is being recovered (a few probes a second).
 */
const GATHER_TIMEOUT_MS = 300;

export async function probeLocalAddresses(): Promise<ReadonlySet<string>> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const found = new Set<string>();
  try {
    pc.createDataChannel('probe');
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
      pc.addEventListener('icecandidate', (e) => {
        if (!e.candidate) {
          clearTimeout(timer);
          resolve();
          return;
        }
        if (e.candidate.type === 'host' && e.candidate.address) found.add(e.candidate.address);
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    await done;
  } finally {
    pc.close();
  }
  return found;
}
