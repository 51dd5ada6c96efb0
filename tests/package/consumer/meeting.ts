// An app team's meeting page, written only against the installed package: type-checked with
// `tsc --strict` (no skipLibCheck) by tests/e2e/package.spec.ts.
import { MeetingClient, MeetingError, ResultCode, TsdkEvent, type TsdkNotification } from 'resume-meeting';

const banner = document.createElement('p');
const client = new MeetingClient({ url: 'https://meet.example' });
client.notify$.subscribe((n: TsdkNotification) => {
  if (n.event === TsdkEvent.CONF_RESUMING_IND) banner.textContent = 'Network lost: reconnecting…';
  if (n.event === TsdkEvent.CONF_RESUME_RESULT)
    banner.textContent = n.param2 === ResultCode.TSDK_SUCCESS ? '' : 'Could not reconnect';
});
client.remoteStreams$.subscribe((streams: ReadonlyMap<string, MediaStream>) => {
  for (const [userId, stream] of streams) banner.dataset[userId] = stream.id;
});
client.reconnectingPeers$.subscribe((ids: ReadonlySet<string>) => console.log('reconnecting', [...ids]));

export async function meet(room: string): Promise<number> {
  try {
    await client.login({ name: 'Ada' });
    const joined = await client.join(room);
    await client.sendChat('hello');
    return joined.handle;
  } catch (err) {
    if (err instanceof MeetingError) console.warn(err.code, err.message);
    throw err;
  }
}
