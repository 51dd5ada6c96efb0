import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ConfResumeInfo, ConfResumeRequest, Reply, ResumeInfo } from '../../../shared/src/index.ts';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import { singleRequestResume } from '../../../web/src/sdk/resume/single-request-resume.ts';

const CTX = { handle: 7, room: 'r1', lastSeq: 4 };
const CONF: Reply<ConfResumeInfo> = {
  code: 0,
  handle: 9,
  originalHandle: 7,
  room: 'r1',
  info: { conf_id: 'c', subject: 'r1', media_type: 'video' } as never,
  roster: [],
  seq: 5,
  replay: { code: 0, events: [] },
};
const SESSION = { userId: 'u1', name: 'Ann', resumeToken: 't2', iceServers: [] };

/** Calls that record what was asked; each login answers from `logins` in turn. */
function server(logins: (() => Promise<Reply<ResumeInfo>>)[]) {
  const asked = { logins: [] as (ConfResumeRequest | undefined)[], confs: [] as ConfResumeRequest[] };
  const ports = singleRequestResume({
    resumeLogin: (conference) => {
      asked.logins.push(conference);
      const next = logins.shift();
      if (!next) throw new Error('no login scripted');
      return next();
    },
    resumeConference: async (conference) => {
      asked.confs.push(conference);
      return { ...CONF, handle: 10 };
    },
  });
  return { ports, asked };
}

describe('singleRequestResume', () => {
  it('asks for the conference with the login, and answers the conference resume from that reply', async () => {
    const { ports, asked } = server([async () => ({ code: 0, ...SESSION, conference: CONF })]);
    const login = await firstValueFrom(ports.resumeLogin(CTX));
    expect(login).toEqual({ code: 0, ...SESSION });
    expect(asked.logins).toEqual([{ handle: 7, lastSeq: 4 }]);
    expect(await firstValueFrom(ports.resumeConference(CTX))).toBe(CONF);
    expect(asked.confs).toEqual([]);
    // Used once: a retry asks the server.
    expect((await firstValueFrom(ports.resumeConference(CTX))).code).toBe(0);
    expect(asked.confs).toEqual([{ handle: 7, lastSeq: 4 }]);
  });

  it('a refused conference part is the conference resume’s answer (the pipeline classifies it)', async () => {
    const refused = { code: ResultCode.HANDLE_UNKNOWN, message: 'not yours' } as const;
    const { ports, asked } = server([async () => ({ code: 0, ...SESSION, conference: refused })]);
    await firstValueFrom(ports.resumeLogin(CTX));
    expect(await firstValueFrom(ports.resumeConference(CTX))).toBe(refused);
    expect(asked.confs).toEqual([]);
  });

  it('asks the server when the conference resume names another context, or the login named none', async () => {
    const { ports, asked } = server([
      async () => ({ code: 0, ...SESSION, conference: CONF }),
      async () => ({ code: 0, ...SESSION }),
    ]);
    await firstValueFrom(ports.resumeLogin(CTX));
    await firstValueFrom(ports.resumeConference({ ...CTX, lastSeq: 5 }));
    await firstValueFrom(ports.resumeLogin(null));
    await firstValueFrom(ports.resumeConference(CTX));
    expect(asked.logins).toEqual([{ handle: 7, lastSeq: 4 }, undefined]);
    expect(asked.confs).toEqual([
      { handle: 7, lastSeq: 5 },
      { handle: 7, lastSeq: 4 },
    ]);
  });

  it('a login attempt that settles after a newer one began leaves nothing in hand', async () => {
    let settleFirst: (reply: Reply<ResumeInfo>) => void = () => {};
    const { ports, asked } = server([
      () => new Promise((resolve) => (settleFirst = resolve)),
      async () => ({ code: ResultCode.SERVER_UNAVAILABLE, message: 'busy' }),
    ]);
    const first = firstValueFrom(ports.resumeLogin(CTX));
    const second = firstValueFrom(ports.resumeLogin(CTX));
    expect((await second).code).toBe(ResultCode.SERVER_UNAVAILABLE);
    settleFirst({ code: 0, ...SESSION, conference: CONF });
    await first;
    expect(await firstValueFrom(ports.resumeConference(CTX))).toMatchObject({ handle: 10 });
    expect(asked.confs).toHaveLength(1);
  });
});
