/** What both stores' event logs agree on: how much history is kept, and how chat is de-duplicated. */

export interface EventLogOptions {
  /** Events kept per conference; older ones are trimmed and can no longer be replayed. */
  maxEventsPerConference?: number;
  /**
   * Bytes of events (their JSON) kept per conference; older ones are trimmed likewise. The
   * newest event is always kept.
   */
  maxEventBytesPerConference?: number;
  /** Chat client ids remembered per conference for de-duplication. */
  maxChatIdsPerConference?: number;
}

export interface EventLogLimits {
  maxEvents: number;
  maxEventBytes: number;
  maxChatIds: number;
}

export function eventLogLimits(options: EventLogOptions): EventLogLimits {
  return {
    maxEvents: options.maxEventsPerConference ?? 5_000,
    maxEventBytes: options.maxEventBytesPerConference ?? 2 * 1024 * 1024,
    maxChatIds: options.maxChatIdsPerConference ?? 5_000,
  };
}

/** A chat message is the same one when the same sender sends the same client id again. */
export function chatKey(sender: string, id: string): string {
  return `${sender}\n${id}`;
}
