import type { TsdkConfEnvTypeName, TsdkConfMediaTypeName, TsdkEventName } from './tsdk.ts';

/** `TSDK_S_LOCAL_ADDRESS`: the value of `TSDK_E_CONFIG_LOCAL_ADDRESS`. */
export interface TSDK_S_LOCAL_ADDRESS {
  ip_address: string;
  /** true: try to resume at once; false: only record the address. */
  is_try_resume: boolean;
}

/** `TSDK_S_JOIN_CONF_IND_INFO`: what a join (or a resume) reports. */
export interface TSDK_S_JOIN_CONF_IND_INFO {
  call_id: number;
  conf_media_type: TsdkConfMediaTypeName;
  is_hd_conf: boolean;
  conf_env_type: TsdkConfEnvTypeName;
  is_svc_conf: boolean;
  /** Always `svc_label.length`. */
  svc_label_count: number;
  svc_label: number[];
}

/** `TSDK_S_RESUME_CONF_IND_INFO`: the data of a successful CONF_RESUME_RESULT. */
export interface TSDK_S_RESUME_CONF_IND_INFO {
  original_handle: number;
  join_conf_ind_info: TSDK_S_JOIN_CONF_IND_INFO;
}

/** The data of a failed RESULT event. */
export interface TsdkFailureData {
  reason: string;
  message: string;
}

/** One notification, as every subscriber receives it (spec §2). */
export interface TsdkNotification<D = unknown> {
  event: TsdkEventName;
  param1: number;
  param2: number;
  data: D;
  /** ms timestamp */
  at: number;
}

export type ParticipantStatus = 'connected' | 'reconnecting';

export interface Participant {
  handle: number;
  userId: string;
  name: string;
  status: ParticipantStatus;
}

export interface ChatMessage {
  /** The sender's client message id: the de-duplication key. */
  id: string;
  from: number;
  name: string;
  text: string;
  at: number;
}

interface ConfEventBase {
  room: string;
  /** Per-conference sequence number, 1, 2, 3, … with no gaps. */
  seq: number;
  at: number;
}

/** Everything the conference says, in order; replayed exactly once after a resume (spec §6). */
export type ConfEvent =
  | (ConfEventBase & { kind: 'joined'; participant: Participant })
  | (ConfEventBase & { kind: 'left'; handle: number; reason: 'left' | 'timeout' | 'logout' })
  | (ConfEventBase & { kind: 'replaced'; oldHandle: number; participant: Participant })
  | (ConfEventBase & { kind: 'status'; handle: number; status: ParticipantStatus })
  | (ConfEventBase & { kind: 'chat'; message: ChatMessage });
export type ConfEventKind = ConfEvent['kind'];
