/**
 * How the SDK's parts run a server request and name what went wrong: a dead transport is
 * SERVER_UNAVAILABLE for an app call and a `TransportError` for the resume pipeline (which retries
 * it); a refusal keeps the server's code.
 */
import { ResultCode, resultCodeName, type TsdkFailureData } from '../../../shared/src/index.ts';
import { MeetingError } from './errors.ts';
import { TransportError } from './resume/ports.ts';
import type { SignalClient } from './signal/signal-client.ts';
import { SignalTransportError } from './signal/transport-error.ts';

/** The `{reason, message}` a failure notification carries. */
export function failureData(code: number, message: string): TsdkFailureData {
  return { reason: resultCodeName(code), message };
}

/** Runs an app call's request; a transport failure becomes SERVER_UNAVAILABLE (reported via `failure`). */
export async function appCall<R>(
  run: () => Promise<R>,
  failure?: (code: number, message: string) => void,
): Promise<R> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof SignalTransportError)) throw err;
    const code = ResultCode.SERVER_UNAVAILABLE;
    failure?.(code, err.message);
    throw new MeetingError(code, err.message, { cause: err });
  }
}

/** Runs a request for the resume pipeline: transport failures become its `TransportError`. */
export async function pipelineCall<R>(run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SignalTransportError) throw new TransportError(err.message, { cause: err });
    throw err;
  }
}

/** Whether our signaling socket answers a `ping` within `timeoutMs`. */
export async function socketAnswers(signal: SignalClient, timeoutMs: number): Promise<boolean> {
  if (!signal.connected) return false;
  try {
    return (await signal.request('ping', {}, { timeoutMs })).code === 0;
  } catch {
    return false;
  }
}

/**
 * `resume` and `conf:resume` wait for their reply for as long as their socket lives (a dead one
 * is found by the heartbeat in 4 s): the server may have spent the token or retired the handle,
 * and only the reply carries the new ones. Under load a timed-out attempt used to retry with
 * the spent token and fail the episode (RESUME_TOKEN_REJECTED, HANDLE_SUPERSEDED).
 */
export const UNTIL_ANSWERED = { timeoutMs: null };

/** How long a leave or a logout waits for its acknowledgement. */
export const LEAVE_TIMEOUT_MS = 2_000;
