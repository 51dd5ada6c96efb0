/** Why a request never got a reply from the server. Every kind is worth retrying. */
export type TransportFailure = 'not-connected' | 'timeout' | 'disconnected' | 'connect-failed' | 'closed';

/**
 * The server could not be reached or did not answer in time. Distinct from a server reply
 * with a failure code: here we do not know what the server did.
 */
export class SignalTransportError extends Error {
  override readonly name = 'SignalTransportError';
  constructor(
    readonly kind: TransportFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
