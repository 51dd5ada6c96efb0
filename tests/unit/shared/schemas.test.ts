import { describe, expect, it } from 'vitest';
import {
  chatSendSchema,
  clientEventSchemas,
  confJoinSchema,
  confLeaveSchema,
  confResumeSchema,
  iceRefreshSchema,
  leaveBeaconSchema,
  loginSchema,
  logoutSchema,
  pingSchema,
  resumeSchema,
  signalSchema,
} from '../../../shared/src/schemas.ts';
import { LIMITS } from '../../../shared/src/timing.ts';

const long = (n: number) => 'x'.repeat(n);
const NON_OBJECTS = [null, undefined, 'text', 42, true, []];

interface Case {
  schema: { safeParse(v: unknown): { success: boolean } };
  valid: unknown[];
  invalid: unknown[];
}

const CASES: Record<string, Case> = {
  login: {
    schema: loginSchema,
    valid: [
      { name: 'Ann' },
      { name: 'Ann Lee', password: 'pw' },
      { name: long(LIMITS.displayName) },
      { name: 'Zoë 😀' },
    ],
    invalid: [
      {},
      { name: 5 },
      { name: '' },
      { name: '   ' },
      { name: long(LIMITS.displayName + 1) },
      { name: 'a\nb' },
      { name: 'a\u0000b' },
      { name: 'Ann', password: '' },
      { name: 'Ann', password: 5 },
      { name: 'Ann', password: long(LIMITS.password + 1) },
      { name: 'Ann', extra: true },
    ],
  },
  resume: {
    schema: resumeSchema,
    valid: [
      { token: long(43) },
      { token: long(16) },
      { token: long(LIMITS.resumeToken) },
      { token: long(43), conference: { handle: 1, lastSeq: 0 } },
    ],
    invalid: [
      {},
      { token: 1 },
      { token: long(15) },
      { token: long(LIMITS.resumeToken + 1) },
      { token: long(43), x: 1 },
      { token: long(43), conference: null },
      { token: long(43), conference: { handle: 1 } },
      { token: long(43), conference: { handle: 1, lastSeq: -1 } },
      { token: long(43), conference: { handle: 1, lastSeq: 0, x: 1 } },
      { conference: { handle: 1, lastSeq: 0 } },
    ],
  },
  logout: { schema: logoutSchema, valid: [{}], invalid: [{ x: 1 }] },
  ping: { schema: pingSchema, valid: [{}], invalid: [{ at: 1 }] },
  'ice:refresh': { schema: iceRefreshSchema, valid: [{}], invalid: [{ turn: true }, null] },
  'conf:join': {
    schema: confJoinSchema,
    valid: [{ room: 'r1' }, { room: 'A_b-9' }, { room: long(LIMITS.roomId) }],
    invalid: [
      {},
      { room: 1 },
      { room: '' },
      { room: 'a b' },
      { room: 'a/b' },
      { room: long(LIMITS.roomId + 1) },
      { room: 'r', x: 1 },
    ],
  },
  'conf:leave': {
    schema: confLeaveSchema,
    valid: [{ handle: 1 }, { handle: 0xffff_ffff }],
    invalid: [
      {},
      { handle: 0 },
      { handle: -1 },
      { handle: 1.5 },
      { handle: 2 ** 32 },
      { handle: '1' },
      { handle: 1, x: 1 },
    ],
  },
  'conf:resume': {
    schema: confResumeSchema,
    valid: [
      { handle: 1, lastSeq: 0 },
      { handle: 7, lastSeq: 1_000 },
    ],
    invalid: [
      { handle: 1 },
      { lastSeq: 0 },
      { handle: 0, lastSeq: 0 },
      { handle: 1, lastSeq: -1 },
      { handle: 1, lastSeq: 0.5 },
      { handle: 1, lastSeq: '0' },
      { handle: 1, lastSeq: 0, x: 1 },
    ],
  },
  signal: {
    schema: signalSchema,
    valid: [
      { from: 1, to: 2, data: { type: 'offer', sdp: 'v=0' } },
      { from: 1, to: 2, data: { type: 'answer', sdp: long(LIMITS.signalBytes) } },
      { from: 1, to: 2, data: { type: 'rollback' } },
      { from: 1, to: 2, data: { type: 'answer', sdp: 'v=0', offerUfrag: 'KoFA' } },
      {
        from: 1,
        to: 2,
        data: { type: 'candidate', candidate: { candidate: 'candidate:1', sdpMLineIndex: 0, sdpMid: '0' } },
      },
      {
        from: 1,
        to: 2,
        data: { type: 'candidate', candidate: { candidate: '', sdpMLineIndex: null, sdpMid: null } },
      },
      { from: 1, to: 2, data: { renegotiate: true } },
      { from: 1, to: 2, data: { transceiverRequest: { kind: 'video', init: { direction: 'recvonly' } } } },
      { from: 1, to: 2, data: { type: 'restart', rebuild: false } },
      { from: 1, to: 2, data: { type: 'keyframe' } },
      { from: 1, to: 2, data: { type: 'probe', id: 0, pathsOk: false } },
      { from: 1, to: 2, data: { type: 'probe-ack', id: 2 ** 31, pathsOk: true, resuming: false } },
      { from: 1, to: 2, data: { type: 'probe-ack', id: 3, pathsOk: false, resuming: false, owner: 'me' } },
      { from: 1, to: 2, data: { type: 'media-outage', owner: 'nobody' } },
      { from: 1, to: 2, data: { type: 'media-check', id: 4 } },
      { from: 1, to: 2, data: { type: 'media-check-ack', id: 4, flowing: true } },
    ],
    invalid: [
      { from: 1, to: 2 },
      { from: 1, to: 2, data: { type: 'answer', sdp: 'v=0', offerUfrag: '' } },
      { from: 1, to: 2, data: { type: 'answer', sdp: 'v=0', offerUfrag: long(257) } },
      { from: 1, data: { renegotiate: true } },
      { from: 0, to: 2, data: { renegotiate: true } },
      { from: 1, to: 2, data: { renegotiate: false } },
      { from: 1, to: 2, data: { type: 'offer', sdp: long(LIMITS.signalBytes + 1) } },
      { from: 1, to: 2, data: { type: 'offer', sdp: 5 } },
      { from: 1, to: 2, data: { type: 'nope' } },
      { from: 1, to: 2, data: { type: 'candidate', candidate: { candidate: long(2_001) } } },
      { from: 1, to: 2, data: { type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: 65 } } },
      { from: 1, to: 2, data: { transceiverRequest: { kind: 'screen' } } },
      { from: 1, to: 2, data: { type: 'restart' } },
      { from: 1, to: 2, data: { type: 'keyframe', sdp: 'v=0' } },
      { from: 1, to: 2, data: { type: 'probe' } },
      { from: 1, to: 2, data: { type: 'probe', id: 1 } },
      { from: 1, to: 2, data: { type: 'probe-ack', id: -1, pathsOk: true, resuming: false } },
      { from: 1, to: 2, data: { type: 'probe', id: 1.5, pathsOk: true } },
      { from: 1, to: 2, data: { type: 'probe-ack', id: 1, pathsOk: true, resuming: false, owner: 'them' } },
      { from: 1, to: 2, data: { type: 'media-outage', owner: 'me', extra: 1 } },
      { from: 1, to: 2, data: { type: 'media-check-ack', id: 4 } },
      { from: 1, to: 2, data: { type: 'offer', sdp: 'v=0', extra: 1 } },
      { from: 1, to: 2, data: { renegotiate: true }, extra: 1 },
      { from: 1, to: 2, data: 'string' },
    ],
  },
  'chat:send': {
    schema: chatSendSchema,
    valid: [
      { handle: 1, id: 'm1', text: 'hi' },
      { handle: 1, id: long(LIMITS.clientMessageId), text: long(LIMITS.chatText) },
    ],
    invalid: [
      { handle: 1, id: 'm1' },
      { handle: 1, text: 'hi' },
      { id: 'm1', text: 'hi' },
      { handle: 1, id: '', text: 'hi' },
      { handle: 1, id: 'm1', text: '' },
      { handle: 1, id: long(LIMITS.clientMessageId + 1), text: 'hi' },
      { handle: 1, id: 'm1', text: long(LIMITS.chatText + 1) },
      { handle: 1, id: 5, text: 'hi' },
      { handle: 1, id: 'm1', text: 'hi', x: 1 },
    ],
  },
};

describe('client event schemas', () => {
  it('cover every client event', () => {
    expect(Object.keys(clientEventSchemas).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [event, { schema, valid, invalid }] of Object.entries(CASES)) {
    describe(event, () => {
      it.each(valid.map((v) => [JSON.stringify(v).slice(0, 60), v]))('accepts %s', (_, value) => {
        expect(schema.safeParse(value).success).toBe(true);
      });
      it.each(invalid.map((v) => [JSON.stringify(v).slice(0, 60), v]))('rejects %s', (_, value) => {
        expect(schema.safeParse(value).success).toBe(false);
      });
      it('rejects non-objects', () => {
        for (const value of NON_OBJECTS) expect(schema.safeParse(value).success).toBe(false);
      });
    });
  }

  it('trims display names', () => {
    expect(loginSchema.parse({ name: '  Ann  ' })).toEqual({ name: 'Ann' });
  });

  it('a leave beacon carries the token only: no conference to resume there', () => {
    expect(leaveBeaconSchema.safeParse({ token: long(43) }).success).toBe(true);
    const withConference = { token: long(43), conference: { handle: 1, lastSeq: 0 } };
    expect(leaveBeaconSchema.safeParse(withConference).success).toBe(false);
  });
});
