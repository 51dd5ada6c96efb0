import type { MeetingClient } from 'resume-meeting';

declare global {
  interface Window {
    /** The page's SDK client: tests and automation read `window.meetingClient.history`. */
    meetingClient: MeetingClient;
  }
}
