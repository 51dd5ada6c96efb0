/** The opening of an episode: the state change, then CONF_RESUMING_IND (in a conference) and LOGIN_RESUMING_IND. */
import { TsdkEvent } from '../../../../shared/src/index.ts';
import { notify, type StageItem } from './outputs.ts';
import type { ConferenceContext, Trigger } from './ports.ts';

export interface EpisodeStart {
  trigger: Trigger;
  conference: ConferenceContext | null;
  at: number;
  windowMs: number;
}

export function startEpisode({ trigger, conference, at, windowMs }: EpisodeStart): StageItem[] {
  const data = { reason: trigger.reason };
  const items: StageItem[] = [
    { type: 'event', event: { type: 'episode-started', at, windowMs, reason: trigger.reason, conference } },
  ];
  if (conference) items.push(notify(TsdkEvent.CONF_RESUMING_IND, conference.handle, 0, data, at));
  items.push(notify(TsdkEvent.LOGIN_RESUMING_IND, 0, 0, data, at));
  return items;
}
