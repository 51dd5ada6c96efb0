/**
 * A resumed conference tells the media side who has which handle at once, from the reply's
 * roster: the replay of missed events waits for RESULT, and a media outage's RESULT waits for
 * media, which needs those handles.
 */
import { describe, expect, it } from 'vitest';
import type { ConfResumeInfo, JoinInfo, Participant } from '../../../shared/src/index.ts';
import { ConferenceChat } from '../../../web/src/sdk/conference/conference-chat.ts';
import { type ConferenceMedia, ConferenceRoom } from '../../../web/src/sdk/conference/conference-room.ts';
import { silentLogger } from '../../../web/src/sdk/logger.ts';
import { Notifier } from '../../../web/src/sdk/notifier.ts';
import { IDLE } from '../../../web/src/sdk/resume/state.ts';
import type { SignalClient } from '../../../web/src/sdk/signal/signal-client.ts';

const info: JoinInfo['info'] = {
  call_id: 1,
  conf_media_type: 'TSDK_E_CONF_MEDIA_VIDEO',
  is_hd_conf: true,
  conf_env_type: 'TSDK_E_CONF_ENV_ON_PREMISES',
  is_svc_conf: false,
  svc_label_count: 0,
  svc_label: [],
};
const person = (
  userId: string,
  handle: number,
  status: Participant['status'] = 'connected',
): Participant => ({
  userId,
  handle,
  name: userId,
  status,
});

/** Our seat at `handle` in room `r`, Bob's at `bobHandle`, as a join or resume reply gives it. */
const seated = (handle: number, bobHandle: number, seq: number): JoinInfo => ({
  handle,
  room: 'r',
  info,
  roster: [person('me', handle), person('bob', bobHandle)],
  seq,
});

function setup() {
  const calls: string[] = [];
  const media: ConferenceMedia = {
    startLocalMedia: () => {},
    setLocalHandle: (h) => calls.push(`setLocalHandle ${h}`),
    addPeer: (u, h) => calls.push(`addPeer ${u} ${h}`),
    removePeer: (u) => calls.push(`removePeer ${u}`),
    peerLeft: (u) => calls.push(`peerLeft ${u}`),
    rekey: (u, h) => calls.push(`rekey ${u} ${h}`),
    peerIds: () => [],
    recoverAfterResume: () => calls.push('recoverAfterResume'),
    clear: () => calls.push('clear'),
  };
  const joined = seated(1, 2, 3);
  const signal = { request: async () => ({ code: 0, ...joined }) } as unknown as SignalClient;
  const timeout = {};
  const room = new ConferenceRoom({
    signal,
    notifier: new Notifier(Date.now, silentLogger),
    timeout,
    chat: new ConferenceChat({ signal, timeout, sendingHandle: () => null }),
    media,
    me: () => 'me',
    resumeState: () => IDLE,
  });
  return { room, calls };
}

describe('ConferenceRoom.resumed', () => {
  it('re-keys every other participant from the reply’s roster before signals flow on the new handle', async () => {
    const { room, calls } = setup();
    await room.join('r');
    calls.length = 0;
    // Bob resumed too, before us: his `replaced` went to a room our new socket was not in yet.
    const resumed: ConfResumeInfo = {
      ...seated(4, 5, 6),
      originalHandle: 1,
      replay: {
        code: 0,
        events: [{ room: 'r', seq: 5, at: 0, kind: 'replaced', oldHandle: 2, participant: person('bob', 5) }],
      },
    };
    room.resumed(resumed);
    expect(calls).toEqual(['rekey bob 5', 'setLocalHandle 4', 'recoverAfterResume']);
    expect(room.view?.handle).toBe(4);
  });
});
