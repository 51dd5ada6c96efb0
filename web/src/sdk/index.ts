/**
 * The SDK entry: the facade and the shared TSDK names and types. Apps import this file only.
 * (Browser-safe: `shared/src/index.ts` re-exports zod-derived *types* only, so zod stays out.)
 */
export * from '../../../shared/src/index.ts';
export type {
  ConferenceView,
  ConfUpdateData,
  Credentials,
  MeetingClientOptions,
  Resync,
  SentChat,
  Session,
} from './client-types.ts';
export type { OutboxEntry, OutboxState } from './conference/chat-outbox.ts';
export { MeetingError } from './errors.ts';
export type { Logger } from './logger.ts';
export type { PeerDiagnostics, PeerSnapshot } from './media/mesh.ts';
export type { RecoveryMode } from './media/recover-media.ts';
export { MeetingClient } from './meeting-client.ts';
export type { NotifyListener } from './notifier.ts';
export type { ResumeState } from './resume/state.ts';
