/**
 * The page side of peer-connection observation (tests and benches, independent of the SDK's
 * internals): one function, serialised into the page by Playwright's `addInitScript` (Chromium)
 * or puppeteer's `evaluateOnNewDocument` (Firefox), so both browsers keep the same log.
 */

/** A page that runs functions (Playwright's, or the Firefox adapter's). */
export interface Evaluates {
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
}

/** One state change of one RTCPeerConnection in the page, as recorded by {@link installPeerConnectionRecorder}. */
export interface PeerConnectionEvent {
  /** Index of the peer connection in creation order. */
  pc: number;
  at: number;
  kind: 'created' | 'ice' | 'connection' | 'candidate' | 'closed' | 'config' | 'sdp';
  /** For `config` (at creation and on every `setConfiguration` with ICE servers): the policy and the TURN usernames (`<expiry>:<user>`, no credential). */
  value: string;
}

/**
 * Wraps `RTCPeerConnection` so that every connection's `iceConnectionState`, `connectionState`,
 * local candidates (address and type), offers and answers (with their ufrag, or why the browser
 * refused them) and ICE configuration (TURN usernames only) go to `window.__pcLog`, and a weak
 * reference to each to `window.__pcs` (weak: the SDK makes throwaway connections to learn local
 * addresses; they must stay collectable). Runs in the page, before the app creates any.
 */
export function installPeerConnectionRecorder(): void {
  const w = window as unknown as {
    __pcLog?: unknown[];
    __pcCount?: number;
    __pcs?: WeakRef<RTCPeerConnection>[];
  };
  if (w.__pcLog) return;
  const log: { pc: number; at: number; kind: string; value: string }[] = [];
  w.__pcLog = log;
  w.__pcCount = 0;
  // Weak: the SDK makes throwaway connections to learn local addresses; they must be collectable.
  const refs: WeakRef<RTCPeerConnection>[] = [];
  w.__pcs = refs;
  const describeConfig = (config?: RTCConfiguration) => {
    const servers = config?.iceServers ?? [];
    if (servers.length === 0) return null;
    const users = servers.flatMap((s) => (s.username ? [s.username] : []));
    return `${config?.iceTransportPolicy ?? 'all'} ${users.join(',')}`.trim();
  };
  const Native = window.RTCPeerConnection;
  class Recorded extends Native {
    readonly #push: (kind: string, value: string) => void;
    constructor(config?: RTCConfiguration) {
      super(config);
      const pc = w.__pcCount ?? 0;
      w.__pcCount = pc + 1;
      refs[pc] = new WeakRef(this);
      const push = (kind: string, value: string) => log.push({ pc, at: Date.now(), kind, value });
      this.#push = push;
      push('created', '');
      const described = describeConfig(config);
      if (described !== null) push('config', described);
      this.addEventListener('iceconnectionstatechange', () => push('ice', this.iceConnectionState));
      this.addEventListener('connectionstatechange', () => {
        push('connection', this.connectionState);
        if (this.connectionState === 'closed') push('closed', '');
      });
      this.addEventListener('icecandidate', (e) => {
        const c = e.candidate;
        if (c?.candidate) push('candidate', `${c.type ?? '?'} ${c.address ?? '?'} ${c.protocol ?? ''}`);
      });
    }
    // Which offers and answers each side applied, and whether the browser took them: a restart
    // offer that never reaches the answerer looks, from candidates and states alone, like a
    // path that will not come back.
    override async setLocalDescription(d?: RTCLocalSessionDescriptionInit): Promise<void> {
      return this.#described('local', () => super.setLocalDescription(d), d);
    }
    override async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      return this.#described('remote', () => super.setRemoteDescription(d), d);
    }
    async #described(
      side: string,
      apply: () => Promise<void>,
      d?: RTCSessionDescriptionInit | RTCLocalSessionDescriptionInit,
    ): Promise<void> {
      const ufrag = (sdp?: string) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? '?';
      try {
        await apply();
        const applied = side === 'local' ? this.localDescription : this.remoteDescription;
        this.#push('sdp', `${side} ${applied?.type ?? d?.type ?? '?'} ufrag=${ufrag(applied?.sdp)}`);
      } catch (e) {
        this.#push('sdp', `${side} ${d?.type ?? '?'} refused: ${(e as Error).message.slice(0, 120)}`);
        throw e;
      }
    }
    override setConfiguration(config?: RTCConfiguration): void {
      super.setConfiguration(config);
      const described = describeConfig(config);
      if (described !== null) this.#push('config', described);
    }
  }
  window.RTCPeerConnection = Recorded;
}

/**
 * One line per live recorded peer connection: its states and its video counters, so that a
 * failure tells "no packets" from "packets but no frames" from "nothing encoded".
 */
export function rtpSummary(page: Evaluates): Promise<string[]> {
  return page.evaluate(async () => {
    const refs = (window as unknown as { __pcs?: WeakRef<RTCPeerConnection>[] }).__pcs ?? [];
    const lines: string[] = [];
    for (const [i, ref] of refs.entries()) {
      const pc = ref?.deref();
      if (!pc || pc.connectionState === 'closed') continue;
      // A connection being torn down may never answer getStats (Firefox): skip it, not hang.
      const stats = await Promise.race([
        pc.getStats(),
        new Promise<null>((r) => setTimeout(() => r(null), 1_000)),
      ]);
      const video: string[] = [];
      stats?.forEach((s) => {
        if (s.kind !== 'video') return;
        if (s.type === 'inbound-rtp')
          video.push(
            `in ${s.bytesReceived} B, ${s.framesReceived ?? '?'} frames received, ${s.framesDecoded} decoded (${s.keyFramesDecoded ?? '?'} key)`,
          );
        if (s.type === 'outbound-rtp') video.push(`out ${s.bytesSent} B, ${s.framesEncoded} frames encoded`);
      });
      const states = `${pc.signalingState}, ice ${pc.iceConnectionState}, ${pc.connectionState}`;
      lines.push(`pc${i} ${states}: ${video.join('; ') || 'no video RTP'}`);
    }
    return lines;
  });
}
