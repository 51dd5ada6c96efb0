import { describe, expect, it } from 'vitest';
import {
  acceptsAnswer,
  fromWireSignal,
  iceUfrag,
  isInitiator,
  isRestartSignal,
  OfferQueue,
  toWireSignal,
} from '../../../web/src/sdk/media/wire.ts';

describe('wire signals', () => {
  it('strips the type simple-peer adds to renegotiate / transceiver requests (strict schema)', () => {
    expect(toWireSignal({ type: 'renegotiate', renegotiate: true })).toEqual({ renegotiate: true });
    expect(toWireSignal({ type: 'transceiverRequest', transceiverRequest: { kind: 'video' } })).toEqual({
      transceiverRequest: { kind: 'video' },
    });
    expect(toWireSignal({ type: 'transceiverRequest', transceiverRequest: { kind: 'text' } })).toBeNull();
  });

  it('keeps only the candidate fields the server accepts', () => {
    const candidate = {
      candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host',
      sdpMLineIndex: 0,
      sdpMid: '0',
    };
    const wire = toWireSignal({
      type: 'candidate',
      candidate: { ...candidate, extra: 1 } as unknown as RTCIceCandidate,
    });
    expect(wire).toEqual({ type: 'candidate', candidate });
  });

  it('passes offers and answers through', () => {
    expect(toWireSignal({ type: 'offer', sdp: 'v=0' })).toEqual({ type: 'offer', sdp: 'v=0' });
    expect(fromWireSignal({ type: 'answer', sdp: 'v=0' })).toEqual({ type: 'answer', sdp: 'v=0' });
    expect(fromWireSignal({ renegotiate: true })).toEqual({ type: 'renegotiate', renegotiate: true });
  });

  it('never hands simple-peer the offer ufrag an answer carries', () => {
    expect(fromWireSignal({ type: 'answer', sdp: 'v=0', offerUfrag: 'abcd' })).toEqual({
      type: 'answer',
      sdp: 'v=0',
    });
  });

  it('reads the ICE ufrag of a session description', () => {
    expect(iceUfrag('v=0\r\na=ice-ufrag:Ab+1\r\na=ice-pwd:x\r\n')).toBe('Ab+1');
    expect(iceUfrag('v=0\r\n')).toBeNull();
    expect(iceUfrag(undefined)).toBeNull();
  });

  describe('which answer an offerer applies', () => {
    it('two answers crossing our newest offer: only the one to it, once', () => {
      // Offers UpPU then KoFA (a restart sent again); the answer to UpPU arrives first.
      expect(acceptsAnswer({ offerUfrag: 'UpPU' }, 'KoFA', null)).toBe(false);
      expect(acceptsAnswer({ offerUfrag: 'KoFA' }, 'KoFA', null)).toBe(true);
      // The same answer delivered again before simple-peer has applied the first copy.
      expect(acceptsAnswer({ offerUfrag: 'KoFA' }, 'KoFA', 'KoFA')).toBe(false);
    });

    it('no offer waiting: no answer applies', () => {
      expect(acceptsAnswer({ offerUfrag: 'KoFA' }, null, null)).toBe(false);
      expect(acceptsAnswer({}, null, null)).toBe(false);
    });

    it('an answer from an older client (no offer ufrag) applies to the waiting offer', () => {
      expect(acceptsAnswer({}, 'KoFA', 'KoFA')).toBe(true);
    });
  });

  describe('offers one at a time on the answering side', () => {
    it('an offer that arrives while the first is being answered waits, with its candidates, until the answer is out', () => {
      const q = new OfferQueue<string>();
      expect(q.admit('offer-1', true)).toBe(true);
      expect(q.admit('cand-1a', false)).toBe(true); // the offer being answered takes its candidates
      expect(q.admit('offer-2', true)).toBe(false);
      expect(q.admit('cand-2a', false)).toBe(false);
      expect(q.answered()).toEqual(['offer-2', 'cand-2a']);
    });

    it('only the newest held offer is worth answering', () => {
      const q = new OfferQueue<string>();
      q.admit('offer-1', true);
      q.admit('offer-2', true);
      q.admit('cand-2a', false);
      q.admit('offer-3', true);
      q.admit('cand-3a', false);
      expect(q.answered()).toEqual(['offer-3', 'cand-3a']);
    });

    it('nothing held: everything goes through, and an answer releases nothing', () => {
      const q = new OfferQueue<string>();
      expect(q.admit('cand', false)).toBe(true);
      expect(q.admit('offer-1', true)).toBe(true);
      expect(q.answered()).toEqual([]);
      expect(q.admit('offer-2', true)).toBe(true);
    });
  });

  it('recognises restart requests', () => {
    expect(isRestartSignal({ type: 'restart', rebuild: false })).toBe(true);
    expect(isRestartSignal({ type: 'offer', sdp: '' })).toBe(false);
    expect(isRestartSignal({ renegotiate: true })).toBe(false);
  });

  it('exactly one side of a pair initiates, whatever the handles', () => {
    expect(isInitiator('alice', 'bob')).toBe(true);
    expect(isInitiator('bob', 'alice')).toBe(false);
  });
});
