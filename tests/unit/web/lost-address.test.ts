import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { lostLinks, watchLostAddresses } from '../../../web/src/sdk/media/lost-address.ts';
import { stepper } from './virtual-steps.ts';

const WIFI = '10.200.1.2';
const PHONE = '10.200.3.2';

describe('lostLinks', () => {
  const used = new Map([
    ['b', WIFI],
    ['c', PHONE],
  ]);

  it('the links whose address the reading lacks, when another address reaches out', () => {
    expect(lostLinks(used, new Set(['127.0.0.1', PHONE]))).toEqual(['b']);
    expect(lostLinks(used, new Set([WIFI, PHONE]))).toEqual([]);
    expect(lostLinks(new Map([['b', WIFI]]), new Set(['10.200.1.3']))).toEqual(['b']);
  });

  it('nothing to move to (loopback, link-local, or no reading at all): no loss', () => {
    expect(lostLinks(used, new Set(['127.0.0.1', '::1', 'fe80::1']))).toEqual([]);
    expect(lostLinks(used, new Set())).toEqual([]);
  });

  it('a link between two browsers on this host (loopback) is never lost', () => {
    expect(lostLinks(new Map([['b', '127.0.0.1']]), new Set([PHONE]))).toEqual([]);
  });
});

function harness(readings: () => ReadonlySet<string>, used = new Map([['b', WIFI]])) {
  const scheduler = new VirtualTimeScheduler();
  const losses: { at: number; userIds: string[]; seenAt: number }[] = [];
  let gatherings = 0;
  const sub = watchLostAddresses({
    used: () => Promise.resolve(used),
    gather: () => {
      gatherings++;
      return Promise.resolve(readings());
    },
    pollMs: { multiHomed: 200, singleHomed: 1_000 },
    scheduler,
    now: () => scheduler.now(),
    onLost: (loss) => losses.push({ at: scheduler.now(), ...loss }),
  });
  return {
    losses,
    advance: stepper(scheduler, 10),
    gatherings: () => gatherings,
    stop: () => sub.unsubscribe(),
  };
}

/** The readings in turn, each for its time from the start or the step before: no loss reported. */
async function expectNoLoss(steps: [ReadonlySet<string>, number][], used?: Map<string, string>) {
  let reading = steps[0]?.[0] ?? new Set<string>();
  const h = harness(() => reading, used);
  for (const [next, ms] of steps) {
    reading = next;
    await h.advance(ms);
  }
  h.stop();
  expect(h.losses).toEqual([]);
}

describe('watchLostAddresses', () => {
  it('reports a link once when two readings in a row lack its address, with when it was last seen', async () => {
    let reading = new Set([WIFI, PHONE]);
    const h = harness(() => reading);
    await h.advance(500); // polls at 0, 200, 400: all have it
    reading = new Set([PHONE]);
    await h.advance(1_000);
    // Last seen by the poll at 400; missing at the poll at 600, confirmed by a reading at once
    // (the harness's next 100 ms step).
    expect(h.losses).toEqual([{ at: 700, userIds: ['b'], seenAt: 400 }]);
    reading = new Set([WIFI, PHONE]); // back (the link still rides it): news again if it goes
    await h.advance(200);
    reading = new Set([PHONE]);
    await h.advance(200);
    h.stop();
    expect(h.losses.map((l) => l.at)).toEqual([700, 1_900]);
  });

  it('an address no reading ever had is no loss (a first burst may never have it)', async () => {
    const h = harness(() => new Set([PHONE, '10.200.9.9']));
    await h.advance(1_000);
    h.stop();
    expect(h.losses).toEqual([]);
  });

  it('an address last seen on a single-homed host is not lost when a new one shows up', async () => {
    await expectNoLoss([
      [new Set(['127.0.0.1', WIFI]), 300],
      [new Set(['127.0.0.1', '10.200.1.3']), 3_000], // the next reading, 1 s on: already changed
    ]);
  });

  it('one reading without the address is not a loss', async () => {
    let n = 0;
    const h = harness(() => (++n === 3 ? new Set([PHONE]) : new Set([WIFI, PHONE])));
    await h.advance(1_000);
    h.stop();
    expect(h.losses).toEqual([]);
  });

  it('no other address to move to: no loss (an address change, the browser reports it)', async () => {
    await expectNoLoss(
      [
        [new Set([WIFI, PHONE]), 300],
        [new Set(['127.0.0.1']), 1_000],
      ],
      new Map([['b', WIFI]]),
    );
  });

  it('an address gone with nowhere to move to is not reported when a new one shows up later', async () => {
    await expectNoLoss([
      [new Set([WIFI]), 300],
      [new Set(['127.0.0.1']), 1_500], // the address changed; Chrome does not know the new one yet
      [new Set(['127.0.0.1', '10.200.1.3']), 1_000], // ...and now it does, while the link is restarted
    ]);
  });

  it('a single-homed host is read every singleHomed ms; a second address brings the fast pace back', async () => {
    let reading = new Set(['127.0.0.1', WIFI]);
    const h = harness(() => reading);
    await h.advance(2_500);
    expect(h.gatherings()).toBe(3); // at 0, 1 000, 2 000
    reading = new Set([WIFI, PHONE]); // a phone tethered: read at 3 000, then at 3 200, 3 400
    await h.advance(1_000);
    h.stop();
    expect(h.gatherings()).toBe(6);
  });

  it('no link on a host candidate (alone, or relayed): nothing is gathered', async () => {
    const h = harness(() => new Set([PHONE]), new Map());
    await h.advance(1_000);
    h.stop();
    expect(h.gatherings()).toBe(0);
    expect(h.losses).toEqual([]);
  });
});
