import { type MeetingClient, type ResumeState, resultCodeName } from 'resume-meeting';

/** The seed's wording (step 3): in a meeting only the conference resume is mentioned. */
export const RESUMING_MEETING = 'Poor network quality. Attempting to join the meeting again...';
export const RESUMING_LOGIN = 'Poor network quality. Attempting to login again...';
export const RESYNCED =
  'Back in the meeting. Part of what happened while you were away could not be replayed: the participant list and recent chat are up to date.';

const TICK_MS = 250;

/**
 * The resume banner: the seed's message while an episode runs, with a live countdown to the
 * 60 s abandon; the reason when it failed; empty otherwise.
 */
export function bindStatusBanner(banner: HTMLElement, client: MeetingClient): () => void {
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopTicking = () => {
    clearInterval(timer);
    timer = undefined;
  };

  const sub = client.resumeState$.subscribe((state: ResumeState) => {
    stopTicking();
    banner.dataset.state = state.kind;
    if (state.kind === 'resuming-login' || state.kind === 'resuming-conference') {
      const message = state.originalHandle === null ? RESUMING_LOGIN : RESUMING_MEETING;
      const render = () => {
        const left = Math.max(0, Math.ceil((state.deadline - Date.now()) / 1000));
        banner.textContent = `${message} Giving up in ${left} s.`;
      };
      render();
      timer = setInterval(render, TICK_MS);
    } else if (state.kind === 'failed') {
      const what = state.originalHandle === null ? 'The login' : 'The meeting';
      banner.textContent = `${what} could not be resumed (${resultCodeName(state.code)}).`;
    } else {
      banner.textContent = '';
    }
  });
  // The replay was gone: the app took the server's snapshot. Said until the next episode.
  const resync = client.resynced$.subscribe(() => {
    banner.dataset.state = 'resynced';
    banner.textContent = RESYNCED;
  });
  return () => {
    stopTicking();
    sub.unsubscribe();
    resync.unsubscribe();
  };
}
