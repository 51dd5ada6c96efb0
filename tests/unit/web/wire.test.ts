import { describe, expect, it } from 'vitest';
import {
  fromWireSignal,
  isInitiator,
  isRestartSignal,
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
