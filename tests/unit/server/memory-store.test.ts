import { MemoryStore } from '../../../signaling-server/src/store/memory-store.ts';
import { describeStore } from './store-suite.ts';

describeStore(
  'memory',
  (clock, { maxEvents, maxEventBytes }) =>
    new MemoryStore({ clock, maxEventsPerConference: maxEvents, maxEventBytesPerConference: maxEventBytes }),
);
