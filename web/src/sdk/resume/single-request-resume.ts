/**
 * The `resumeLogin` and `resumeConference` ports over one request: the login resume names the
 * conference, the server resumes both in that order, and the conference's reply waits here until
 * the pipeline asks for it: one round trip instead of two where a phone's RTT is 100 ms or more.
 * The pipeline still sees two steps, so the TSDK events keep their order.
 */
import { defer, type Observable } from 'rxjs';
import type {
  ConfResumeInfo,
  ConfResumeRequest,
  Reply,
  ResumeInfo,
  SessionInfo,
} from '../../../../shared/src/index.ts';
import type { ConferenceContext, ResumePorts } from './ports.ts';

export interface ResumeCalls {
  /** `resume` on a fresh socket, naming `conference` when given. */
  resumeLogin(conference?: ConfResumeRequest): Promise<Reply<ResumeInfo>>;
  /** `conf:resume` on the current socket. */
  resumeConference(conference: ConfResumeRequest): Promise<Reply<ConfResumeInfo>>;
}

export function singleRequestResume(
  calls: ResumeCalls,
): Pick<ResumePorts, 'resumeLogin' | 'resumeConference'> {
  let inHand: { ctx: ConferenceContext; reply: Reply<ConfResumeInfo> } | null = null;
  let attempts = 0;
  const request = (ctx: ConferenceContext): ConfResumeRequest => ({
    handle: ctx.handle,
    lastSeq: ctx.lastSeq,
  });
  return {
    resumeLogin: (ctx?: ConferenceContext | null): Observable<Reply<SessionInfo>> =>
      defer(async (): Promise<Reply<SessionInfo>> => {
        const attempt = ++attempts;
        inHand = null;
        const reply = await calls.resumeLogin(ctx ? request(ctx) : undefined);
        if (reply.code !== 0) return reply;
        const { conference, ...session } = reply;
        // An attempt the pipeline gave up on settles late: its reply answers nothing now.
        if (ctx && conference && attempt === attempts) inHand = { ctx, reply: conference };
        return session;
      }),
    resumeConference: (ctx: ConferenceContext): Observable<Reply<ConfResumeInfo>> =>
      defer((): Promise<Reply<ConfResumeInfo>> => {
        const ready = inHand;
        inHand = null;
        if (ready && ready.ctx.handle === ctx.handle && ready.ctx.lastSeq === ctx.lastSeq)
          return Promise.resolve(ready.reply);
        return calls.resumeConference(request(ctx));
      }),
  };
}
