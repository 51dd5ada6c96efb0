/**
 * TSDK names, exactly as Huawei's TSDK spells them, so apps written against TSDK's
 * resume flow find the same strings here (spec §2).
 */

/** Notification event names. */
export const TsdkEvent = {
  /** Authentication with the server succeeded (first step of a login or a login resume). */
  AUTH_SUCCESS: 'TSDK_E_LOGIN_EVT_AUTH_SUCCESS',
  /** Authentication was refused; param2 carries the result code. */
  AUTH_FAILED: 'TSDK_E_LOGIN_EVT_AUTH_FAILED',
  /** The login session is established. */
  LOGIN_SUCCESS: 'TSDK_E_LOGIN_EVT_LOGIN_SUCCESS',
  /** The login failed; param2 carries the result code. */
  LOGIN_FAILED: 'TSDK_E_LOGIN_EVT_LOGIN_FAILED',
  /** The login session was closed on purpose. */
  LOGOUT_SUCCESS: 'TSDK_E_LOGIN_EVT_LOGOUT_SUCCESS',
  /** A login resume started (in or out of a conference). */
  LOGIN_RESUMING_IND: 'TSDK_E_LOGIN_EVT_LOGIN_RESUMING_IND',
  /** A login resume ended; param2 is TSDK_SUCCESS or the failure code. */
  LOGIN_RESUME_RESULT: 'TSDK_E_LOGIN_EVT_LOGIN_RESUME_RESULT',
  /** Joining a conference ended; param1 is the handle, data a TSDK_S_JOIN_CONF_IND_INFO. */
  JOIN_CONF_RESULT: 'TSDK_E_CONF_EVT_JOIN_CONF_RESULT',
  /** Roster or status change in the conference. */
  INFO_AND_STATUS_UPDATE: 'TSDK_E_CONF_EVT_INFO_AND_STATUS_UPDATE',
  /** The conference ended for this participant (left, or it was closed). */
  CONF_END_IND: 'TSDK_E_CONF_EVT_CONF_END_IND',
  /** A resume episode started while in a conference; param1 is the original handle. */
  CONF_RESUMING_IND: 'TSDK_E_CONF_EVT_CONF_RESUMING_IND',
  /** A conference resume ended; param1 is the new handle on success, the original on failure. */
  CONF_RESUME_RESULT: 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT',
} as const;
export type TsdkEventName = (typeof TsdkEvent)[keyof typeof TsdkEvent];

/** Parameter ids accepted by `tsdk_set_config_param`. */
export const TsdkConfigId = {
  TSDK_E_CONFIG_LOCAL_ADDRESS: 'TSDK_E_CONFIG_LOCAL_ADDRESS',
} as const;
export type TsdkConfigIdName = (typeof TsdkConfigId)[keyof typeof TsdkConfigId];
export const TSDK_E_CONFIG_LOCAL_ADDRESS = TsdkConfigId.TSDK_E_CONFIG_LOCAL_ADDRESS;

/** Conference media types, TSDK's names. */
export const TsdkConfMediaType = {
  VOICE: 'TSDK_E_CONF_MEDIA_VOICE',
  VIDEO: 'TSDK_E_CONF_MEDIA_VIDEO',
  VOICE_DATA: 'TSDK_E_CONF_MEDIA_VOICE_DATA',
  VIDEO_DATA: 'TSDK_E_CONF_MEDIA_VIDEO_DATA',
} as const;
export type TsdkConfMediaTypeName = (typeof TsdkConfMediaType)[keyof typeof TsdkConfMediaType];

/** Where the conference is hosted; this product runs its own mesh signaling server. */
export const TsdkConfEnvType = {
  ON_PREMISES: 'TSDK_E_CONF_ENV_ON_PREMISES',
} as const;
export type TsdkConfEnvTypeName = (typeof TsdkConfEnvType)[keyof typeof TsdkConfEnvType];

/** TSDK booleans are integers on the wire of the original SDK; here they are plain booleans. */
export const TSDK_TRUE = true;
export const TSDK_FALSE = false;

/** The address that means "no network" (seed, step 1). */
export const NO_NETWORK_ADDRESS = '0.0.0.0';
