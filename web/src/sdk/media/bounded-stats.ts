/**
 * How long one `getStats()` may take. Firefox's can stay pending for good on a connection that
 * is being restarted or torn down (seen in the namespace lab after its address changed): a
 * watch that awaited it would never sample again, and an episode waiting for media to decode
 * would never end. A late report is dropped; the next poll asks again. Generous: Chromium's
 * answers in milliseconds, but on a loaded 2-core machine a slow answer must still count rather
 * than read as "no media" and cause a restart.
 */
export const STATS_TIMEOUT_MS = 3_000;

/** `pc.getStats()`, rejected after `timeoutMs` if it has not answered by then. */
export function statsOf(
  pc: Pick<RTCPeerConnection, 'getStats'>,
  timeoutMs = STATS_TIMEOUT_MS,
): Promise<RTCStatsReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`getStats gave no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    pc.getStats().then(
      (report) => {
        clearTimeout(timer);
        resolve(report);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
