/**
 * In-page trace for `bench:recovery --trace`: wraps RTCPeerConnection before the app loads and
 * records, with times, what each connection did (offers, answers and their ICE ufrags,
 * signaling/ICE/connection states, gathered candidates, restartIce, the selected pair with its
 * candidate types) plus the window's offline/online events and the signaling socket's messages.
 * It shows where a recovery spends its time, or why it stalls.
 */
import type { Page } from '@playwright/test';

export interface TraceEntry {
  at: number;
  pc: number;
  what: string;
}

// A string, not a function: tsx's keepNames would inject `__name` into a serialized function.
const SCRIPT = `(() => {
  const log = [];
  window.__rtcTrace = log;
  const add = (pc, what) => log.push({ at: Date.now(), pc, what });
  const ufrag = (sdp) => (/a=ice-ufrag:(\\S+)/.exec(sdp || '') || [])[1] || '-';
  addEventListener('offline', () => add(0, 'window offline'));
  addEventListener('online', () => add(0, 'window online'));
  // The signaling socket: when each WebSocket is made and opens, and every socket.io message in
  // and out but engine.io's pings (SDPs cut), so a trace shows where a resume waits.
  const NativeWebSocket = window.WebSocket;
  const brief = (d) => String(d).slice(0, 90).replace(/\\"sdp\\":.*/, '');
  const heartbeat = (d) => /^[23]/.test(String(d));
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      add(0, 'ws new');
      this.addEventListener('open', () => add(0, 'ws open'));
      this.addEventListener('message', (e) => { if (!heartbeat(e.data)) add(0, 'ws in ' + brief(e.data)); });
    }
    send(d) {
      if (!heartbeat(d)) add(0, 'ws out ' + brief(d));
      return super.send(d);
    }
  };
  const Native = window.RTCPeerConnection;
  let next = 1;
  class Traced extends Native {
    constructor(...args) {
      super(...args);
      const id = next++;
      this.__id = id;
      add(id, 'new');
      this.addEventListener('signalingstatechange', () => add(id, 'signaling ' + this.signalingState));
      this.addEventListener('iceconnectionstatechange', () => add(id, 'ice ' + this.iceConnectionState));
      this.addEventListener('connectionstatechange', () => add(id, 'conn ' + this.connectionState));
      this.addEventListener('icegatheringstatechange', () => add(id, 'gathering ' + this.iceGatheringState));
      this.addEventListener('icecandidate', (e) => {
        const c = e.candidate;
        add(id, c ? 'candidate ' + (c.address || '?') + ' ' + c.type + ' ' + c.usernameFragment : 'candidates end');
      });
    }
    restartIce() { add(this.__id, 'restartIce'); return super.restartIce(); }
    createOffer(...args) {
      add(this.__id, 'createOffer');
      return super.createOffer(...args).then((d) => (add(this.__id, 'offer created'), d));
    }
    createAnswer(...args) {
      add(this.__id, 'createAnswer');
      return super.createAnswer(...args).then((d) => (add(this.__id, 'answer created'), d));
    }
    setLocalDescription(d) {
      add(this.__id, 'setLocal ' + (d ? d.type + ' ' + ufrag(d.sdp) : 'implicit'));
      return super.setLocalDescription(d);
    }
    setRemoteDescription(d) {
      add(this.__id, 'setRemote ' + d.type + ' ' + ufrag(d.sdp) + ' in ' + this.signalingState);
      return super.setRemoteDescription(d).catch((err) => {
        add(this.__id, 'setRemote failed ' + err.message);
        throw err;
      });
    }
    close() { add(this.__id, 'close'); return super.close(); }
  }
  window.RTCPeerConnection = Traced;
  const nativeSetParameters = RTCRtpSender.prototype.setParameters;
  RTCRtpSender.prototype.setParameters = function (p, ...rest) {
    add(0, 'sender ' + (this.track && this.track.kind) + ' active=' + (p.encodings || []).map((e) => e.active).join(','));
    return nativeSetParameters.call(this, p, ...rest).catch((err) => {
      add(0, 'setParameters failed ' + err.message);
      throw err;
    });
  };
  // Every 100 ms: the selected pair, whether video bytes flow in, keyframes decoded, PLIs received.
  const seen = new Map();
  const pcs = new Set();
  const Wrapped = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Wrapped {
    constructor(...args) { super(...args); pcs.add(this); }
  };
  setInterval(() => {
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') { pcs.delete(pc); continue; }
      pc.getStats().then((report) => {
        const prev = seen.get(pc) || {};
        const now = {};
        const cands = new Map();
        report.forEach((s) => { if (s.type === 'local-candidate' || s.type === 'remote-candidate') cands.set(s.id, s.address + ':' + s.port + ' ' + s.candidateType + (s.relayProtocol ? '/' + s.relayProtocol : '')); });
        report.forEach((s) => {
          if (s.type === 'transport' && s.selectedCandidatePairId) {
            const pair = report.get(s.selectedCandidatePairId);
            now.pair = pair ? cands.get(pair.localCandidateId) + ' > ' + cands.get(pair.remoteCandidateId) + ' ' + pair.state : '?';
          }
          if (s.type === 'inbound-rtp' && s.kind === 'video') { now.vbytes = s.bytesReceived; now.keys = s.keyFramesDecoded; now.frames = s.framesDecoded; now.dropped = s.framesDropped; now.nack = s.nackCount; now.fpli = s.pliCount; now.recv = s.framesReceived; now.jbt = s.jitterBufferTargetDelay; now.jbe = s.jitterBufferEmittedCount; now.jbd = s.jitterBufferDelay; now.lost = s.packetsLost; now.pkIn = s.packetsReceived; now.rtxIn = s.retransmittedPacketsReceived; }
          if (s.type === 'inbound-rtp' && s.kind === 'audio') { now.ajbd = s.jitterBufferDelay; now.ajbe = s.jitterBufferEmittedCount; now.conc = s.concealedSamples; now.abytes = s.bytesReceived; }
          if (s.type === 'outbound-rtp' && s.kind === 'video') { now.pli = s.pliCount; now.fir = s.firCount; now.keysOut = s.keyFramesEncoded; now.encoded = s.framesEncoded; now.sent = s.framesSent; now.target = s.targetBitrate; now.limit = s.qualityLimitationReason; now.rtx = s.retransmittedPacketsSent; now.nackIn = s.nackCount; now.pkts = s.packetsSent; }
        });
        const id = pc.__id;
        if (now.pair !== prev.pair) add(id, 'pair ' + now.pair);
        // Every candidate pair's state changes, so a restart that connects nothing shows why.
        now.pairs = {};
        report.forEach((s) => {
          if (s.type !== 'candidate-pair') return;
          const key = cands.get(s.localCandidateId) + ' > ' + cands.get(s.remoteCandidateId);
          now.pairs[key] = s.state;
          if ((prev.pairs || {})[key] !== s.state) add(id, 'check ' + key + ' ' + s.state + ' req ' + s.requestsSent + '/' + s.responsesReceived + ' in ' + s.requestsReceived + '/' + s.responsesSent);
        });
        const flowing = now.vbytes > (prev.vbytes || 0);
        if (flowing !== prev.flowing) add(id, flowing ? 'video in flows' : 'video in stops');
        now.flowing = flowing;
        if (now.keys !== prev.keys && prev.keys !== undefined) add(id, 'keyframe decoded (' + now.keys + ')');
        if (now.pli !== prev.pli && prev.pli !== undefined) add(id, 'PLI received (' + now.pli + ')');
        if (now.keysOut !== prev.keysOut && prev.keysOut !== undefined) add(id, 'keyframe sent (' + now.keysOut + ')');
        if (prev.frames !== undefined) {
          const emitted = now.jbe - prev.jbe;
          const jb = emitted > 0 ? Math.round((1000 * (now.jbd - prev.jbd)) / emitted) + '/' + Math.round((1000 * (now.jbt - prev.jbt)) / emitted) : '-';
          const aEmitted = now.ajbe - prev.ajbe;
          const ajb = aEmitted > 0 ? Math.round((1000 * (now.ajbd - prev.ajbd)) / aEmitted) : '-';
          const line = 'audio in +' + (now.abytes - prev.abytes) + 'B jb ' + ajb + ' concealed +' + (now.conc - prev.conc) + ' | recv +' + (now.recv - prev.recv) + ' lost ' + now.lost + ' jb ' + jb + ' decoded +' + (now.frames - prev.frames) + ' dropped +' + (now.dropped - prev.dropped) + ' plisSent ' + now.fpli + ' nack ' + now.nack + ' | encoded +' + (now.encoded - prev.encoded) + ' sent +' + (now.sent - prev.sent) + ' pkts +' + (now.pkts - prev.pkts) + ' target ' + Math.round((now.target || 0) / 1000) + 'k ' + now.limit + ' rtx ' + now.rtx + ' nackIn ' + now.nackIn + ' | video pkts in +' + (now.pkIn - prev.pkIn) + ', retransmissions in so far ' + now.rtxIn;
          if (line !== prev.line) add(id, line);
          now.line = line;
        }
        seen.set(pc, now);
      }, () => {});
    }
  }, 100);
})();`;

export async function installRtcTrace(page: Page): Promise<void> {
  await page.addInitScript(SCRIPT);
}

export async function readRtcTrace(page: Page): Promise<TraceEntry[]> {
  return page.evaluate(() => (window as unknown as { __rtcTrace?: TraceEntry[] }).__rtcTrace ?? []);
}

/** One line per entry, times relative to `origin`, from `since` on. */
export function formatTrace(label: string, entries: TraceEntry[], origin: number, since: number): string {
  return entries
    .filter((e) => e.at >= since)
    .map((e) => `${label} ${String(e.at - origin).padStart(6)} ms  pc${e.pc} ${e.what}`)
    .join('\n');
}
