/**
 * A zod schema for every client→server payload. The server parses with these and never
 * trusts anything else; the types below are what handlers see after parsing.
 */
import { z } from 'zod';
import { LIMITS } from './timing.ts';

const handle = z.number().int().min(1).max(0xffff_ffff);
const roomId = z
  .string()
  .min(1)
  .max(LIMITS.roomId)
  .regex(/^[A-Za-z0-9_-]+$/, 'room ids use letters, digits, _ and -');
const displayName = z
  .string()
  .trim()
  .min(1)
  .max(LIMITS.displayName)
  // No control characters: names are shown to everyone.
  .regex(/^[^\p{Cc}]+$/u, 'no control characters');

export const loginSchema = z.strictObject({
  name: displayName,
  password: z.string().min(1).max(LIMITS.password).optional(),
});

const resumeToken = z.string().min(16).max(LIMITS.resumeToken);

export const logoutSchema = z.strictObject({});

/** The JSON body of `POST LEAVE_BEACON_PATH` (http-paths.ts). */
export const leaveBeaconSchema = z.strictObject({ token: resumeToken });
export type LeaveBeaconRequest = z.infer<typeof leaveBeaconSchema>;

export const confJoinSchema = z.strictObject({ room: roomId });

export const confLeaveSchema = z.strictObject({ handle });

export const confResumeSchema = z.strictObject({
  handle,
  /** The last conference sequence number the client saw. */
  lastSeq: z.number().int().min(0),
});

export const resumeSchema = z.strictObject({
  token: resumeToken,
  /** The conference to resume once the login has: its reply rides on this one (one round trip). */
  conference: confResumeSchema.optional(),
});

const sdp = z.string().max(LIMITS.signalBytes);
const signalId = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31);
const outageOwner = z.enum(['you', 'me', 'nobody']);
/** simple-peer's signal data, and our own restart, keyframe and probe messages (issue: media recovery). */
const signalData = z.union([
  z.strictObject({
    type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
    sdp: sdp.optional(),
    /**
     * On an answer: the ICE username fragment of the offer it answers. The initiator may have
     * replaced an offer (an ICE restart sent again after a lost socket) and both answers come
     * back; only the one for its current offer may be applied.
     */
    offerUfrag: z.string().min(1).max(256).optional(),
  }),
  z.strictObject({
    type: z.literal('candidate'),
    candidate: z.strictObject({
      candidate: z.string().max(2_000),
      sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
      sdpMid: z.string().max(64).nullable().optional(),
      usernameFragment: z.string().max(256).nullable().optional(),
    }),
  }),
  z.strictObject({ renegotiate: z.literal(true) }),
  z.strictObject({
    transceiverRequest: z.strictObject({
      kind: z.enum(['audio', 'video']),
      init: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
  /** Ask the pair's initiator to restart ICE (or rebuild) the peer connection. */
  z.strictObject({ type: z.literal('restart'), rebuild: z.boolean() }),
  /** Ask the other side for a keyframe: our decoder gets bytes but decodes no frame. */
  z.strictObject({ type: z.literal('keyframe') }),
  /**
   * Whose media outage is it (ARCHITECTURE.md, "One outage, one episode")? `probe` asks whether
   * the other side's socket is alive and says whether the sender still has a working media path
   * to anyone else (`pathsOk`); `probe-ack` answers with the same facts, whether the answering
   * side is resuming (then the outage is its own), and, from the pair's initiator, the verdict
   * (`owner`, seen from the receiver: `you`, `me` or `nobody`).
   */
  z.strictObject({ type: z.literal('probe'), id: signalId, pathsOk: z.boolean() }),
  z.strictObject({
    type: z.literal('probe-ack'),
    id: signalId,
    pathsOk: z.boolean(),
    resuming: z.boolean(),
    owner: outageOwner.optional(),
  }),
  /** The pair's initiator tells the other side its verdict on an outage it decided first. */
  z.strictObject({ type: z.literal('media-outage'), owner: outageOwner }),
  /** Does the other side decode our media again? Answered at once with `media-check-ack`. */
  z.strictObject({ type: z.literal('media-check'), id: signalId }),
  z.strictObject({ type: z.literal('media-check-ack'), id: signalId, flowing: z.boolean() }),
]);

export const signalSchema = z.strictObject({ from: handle, to: handle, data: signalData });

export const chatSendSchema = z.strictObject({
  handle,
  id: z.string().min(1).max(LIMITS.clientMessageId),
  text: z.string().min(1).max(LIMITS.chatText),
});

export const pingSchema = z.strictObject({});

export const iceRefreshSchema = z.strictObject({});

/** One schema per client→server event: the server validates each inbound event with it. */
export const clientEventSchemas = {
  login: loginSchema,
  resume: resumeSchema,
  logout: logoutSchema,
  'conf:join': confJoinSchema,
  'conf:leave': confLeaveSchema,
  'conf:resume': confResumeSchema,
  signal: signalSchema,
  'chat:send': chatSendSchema,
  ping: pingSchema,
  'ice:refresh': iceRefreshSchema,
} as const;

export type LoginRequest = z.infer<typeof loginSchema>;
export type ResumeRequest = z.infer<typeof resumeSchema>;
export type LogoutRequest = z.infer<typeof logoutSchema>;
export type ConfJoinRequest = z.infer<typeof confJoinSchema>;
export type ConfLeaveRequest = z.infer<typeof confLeaveSchema>;
export type ConfResumeRequest = z.infer<typeof confResumeSchema>;
export type SignalRequest = z.infer<typeof signalSchema>;
export type SignalData = SignalRequest['data'];
export type ChatSendRequest = z.infer<typeof chatSendSchema>;
export type PingRequest = z.infer<typeof pingSchema>;
export type IceRefreshRequest = z.infer<typeof iceRefreshSchema>;
