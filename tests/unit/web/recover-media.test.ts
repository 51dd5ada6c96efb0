import { describe, expect, it } from 'vitest';
import { run, snapshot } from './recovery-harness.ts';

describe('media recovery', () => {
  it('fast: ICE disconnected restarts at once, again each 1.5 s, rebuilds after 5 s while bytes stay flat', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(6_000);
    });
    expect(log).toEqual([
      '0 restart b',
      '1500 restart b',
      '3000 restart b',
      '4500 restart b',
      '5000 rebuild b',
    ]);
  });

  it('fast: a rebuild due within 1 s of our network coming back waits: the old pair resumes', async () => {
    const log = await run(async (t, r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(4_900);
      r.networkChanged();
      await advance(300);
      t.bytes += 10;
      await advance(2_000);
    });
    expect(log).toEqual(['0 restart b', '1500 restart b', '3000 restart b', '4500 restart b']);
  });

  it('fast: ... and rebuilds 1 s after it if nothing came', async () => {
    const log = await run(async (t, r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(4_900);
      r.networkChanged();
      await advance(2_000);
    });
    expect(log.at(-1)).toBe('5900 rebuild b');
    expect(log).not.toContain('5000 rebuild b');
  });

  it('fast: a rebuilt link that carries nothing within the bound goes round again', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(17_000);
    });
    expect(log).toEqual([
      '0 restart b',
      '1500 restart b',
      '3000 restart b',
      '4500 restart b',
      '5000 rebuild b',
      // The rebuilt link gets 2 s to connect, then is restarted like any other.
      '7000 restart b',
      '8500 restart b',
      '10000 restart b',
      '11500 restart b',
      '12000 rebuild b',
      '14000 restart b',
      '15500 restart b',
      '17000 restart b',
    ]);
  });

  it('fast: a new link made meanwhile (the other side rebuilt) gets its own time instead of our old schedule', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(3_500);
      t.newLink(2); // their rebuild reached us at 3.5 s: we would have rebuilt at 5 s
      await advance(8_000);
    });
    expect(log).toEqual([
      '0 restart b',
      '1500 restart b',
      '3000 restart b',
      // 2 s for the new link to connect, restarts after, and a rebuild only 5 s later.
      '5500 restart b',
      '7000 restart b',
      '8500 restart b',
      '10000 restart b',
      '10500 rebuild b',
    ]);
  });

  it('fast: a link still making its first ICE checks is not restarted; once they failed, it is', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(100);
      t.path = 'checking';
      await advance(3_000);
      t.path = 'settled';
      await advance(1_500);
    });
    expect(log).toEqual(['0 restart b', '4500 restart b']);
  });

  it('fast: a restart whose new path works while Chrome keeps the dead pair is rebuilt at the fourth poll', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(300);
      t.path = 'stranded';
      await advance(800);
      t.path = 'settled';
      t.newLink(2); // the rebuilt link
      await advance(2_500);
    });
    // Polled every 200 ms: the fourth poll in a row that finds it stranded rebuilds; the new link
    // (seen at 1100) gets its 2 s before it is restarted like any other.
    expect(log).toEqual(['0 restart b', '1000 rebuild b', '3100 restart b']);
  });

  it('fast: the side that does not nominate rebuilds a stranded link only after 6 polls in a row', async () => {
    const log = await run(async (t, _r, advance) => {
      t.setInitiator(false);
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected', initiator: false }));
      t.path = 'stranded';
      await advance(500); // the nomination came between two polls: not stranded any more
      t.path = 'settled';
      await advance(200);
      t.path = 'stranded';
      await advance(1_200);
    });
    expect(log).toEqual(['0 restart b', '1800 rebuild b']);
  });

  it('fast: the initiator rebuilds only at the fourth poll in a row that finds the link stranded', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      t.path = 'stranded';
      await advance(200); // one poll may catch Chrome between a pair's success and its selection
      t.path = 'settled';
      await advance(200);
      t.path = 'stranded';
      await advance(900);
    });
    expect(log).toEqual(['0 restart b', '1200 rebuild b']);
  });

  it('fast: a stranded link whose old pair still carries media is left alone', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      t.path = 'stranded';
      for (let i = 0; i < 10; i++) {
        t.bytes += 1_000;
        await advance(100);
      }
    });
    expect(log).toEqual(['0 restart b']);
  });

  it('fast: a stall alone gets 1 s to heal by itself before the first restart', async () => {
    const log = await run(async (t, _r, advance) => {
      t.mediaStalls$.next({ userId: 'b' });
      await advance(8_000);
    });
    expect(log).toEqual([
      '1000 restart b',
      '2500 restart b',
      '4000 restart b',
      '5500 restart b',
      '6000 rebuild b',
      '8000 restart b',
    ]);
  });

  it('fast: a stall that heals within the grace restarts nothing', async () => {
    const log = await run(async (t, _r, advance) => {
      t.mediaStalls$.next({ userId: 'b' });
      await advance(500);
      t.bytes = 5_000;
      await advance(8_000);
    });
    expect(log).toEqual([]);
  });

  it('fast: bytes flowing again after a restart ends the recovery (no rebuild)', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(200);
      t.bytes = 5_000;
      await advance(6_000);
    });
    expect(log).toEqual(['0 restart b']);
  });

  it('fast: a restart Firefox checks for good (connecting again, bytes still on the old pair) is rebuilt at 5 s', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot()); // connected, then the restart's offer is answered
      t.peerState$.next(snapshot({ iceConnectionState: 'checking', connectionState: 'connecting' }));
      for (let i = 1; i <= 12; i++) {
        t.bytes += 1_000;
        await advance(500);
      }
    });
    // The rebuilt link carries media at its first check: nothing more.
    expect(log).toEqual(['5000 rebuild b']);
  });

  it('fast: a restart that finishes checking within the bound rebuilds nothing', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot());
      t.peerState$.next(snapshot({ iceConnectionState: 'checking', connectionState: 'connecting' }));
      await advance(300);
      t.peerState$.next(snapshot());
      await advance(8_000);
    });
    expect(log).toEqual([]);
  });

  it('fast: a new link making its first checks is no restart stuck checking', async () => {
    const log = await run(async (t, _r, advance) => {
      t.peerState$.next(snapshot());
      t.peerState$.next(snapshot({ generation: 2, connectionState: 'new' }));
      t.peerState$.next(snapshot({ generation: 2, connectionState: 'connecting' }));
      await advance(8_000);
    });
    expect(log).toEqual([]);
  });

  it('a peer simple-peer destroyed (closed) is rebuilt at once, in both modes', async () => {
    for (const mode of ['fast', 'naive'] as const) {
      const log = await run(async (t) => {
        t.peerState$.next(snapshot({ closed: true, connectionState: 'failed' }));
      }, mode);
      expect(log).toEqual(['0 rebuild b']);
    }
  });

  it('naive: ignores stalls and network changes, restarts only on ICE disconnected', async () => {
    const log = await run(async (t, r, advance) => {
      t.mediaStalls$.next({ userId: 'b' });
      r.networkChanged();
      await advance(6_000);
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
    }, 'naive');
    expect(log).toEqual(['6000 restart b']);
  });

  it('fast: a network change, or our own episode, cuts the grace of a stall short', async () => {
    for (const cut of ['networkChanged', 'stallsAreOurs'] as const) {
      const log = await run(async (t, r, advance) => {
        t.mediaStalls$.next({ userId: 'b' });
        await advance(300);
        r[cut]();
        await advance(2_000);
      });
      expect(log, cut).toEqual(['300 restart b', '1800 restart b']);
    }
  });

  it('fast: our own episode leaves a peer whose media flows alone (the server may be what died)', async () => {
    const log = await run(async (_t, r, advance) => {
      r.stallsAreOurs();
      await advance(6_000);
    });
    expect(log).toEqual([]);
  });

  it('fast: a network change during a restart cycle does not start a second cycle', async () => {
    const log = await run(async (t, r, advance) => {
      t.peerState$.next(snapshot({ iceConnectionState: 'disconnected' }));
      await advance(300);
      r.networkChanged();
      await advance(2_000);
    });
    expect(log).toEqual(['0 restart b', '1500 restart b']);
  });

  it('fast: an address never seen before, or one gone, restarts the peers being recovered at once', async () => {
    let addresses = new Set(['10.0.0.2']);
    let polls = 0;
    const localAddresses = () => {
      polls++;
      return Promise.resolve(addresses);
    };
    const log = await run(
      async (t, r, advance) => {
        t.mediaStalls$.next({ userId: 'b' });
        await advance(300);
        expect(polls).toBe(0); // a stall alone says nothing of our network: no polling
        r.networkChanged();
        await advance(700);
        addresses = new Set(['10.0.0.2', '10.0.0.3']);
        await advance(300);
        addresses = new Set(['10.0.0.3']); // the old interface gone: Chrome gathers on it no more
        await advance(200);
        addresses = new Set(['10.0.0.2', '10.0.0.3']); // back: seen before, not news
        await advance(200);
        t.bytes = 5_000;
        await advance(1_000);
        const after = polls;
        await advance(1_000);
        expect(polls).toBe(after); // recovered: polling stopped
      },
      'fast',
      { localAddresses },
    );
    // Polls at 300, 500 … ms: the first to see the new address restarts (1 100), then the first
    // without the old one (1 500); none when it comes back (1 700).
    expect(log).toEqual(['300 restart b', '1100 restart b', '1500 restart b']);
  });

  it('fast: a lost address rebuilds at once; the late report of that change leaves the new link to connect', async () => {
    const log = await run(async (t, r, advance) => {
      r.pathLost(['b', 'left-already']);
      await advance(300);
      r.stallsAreOurs(); // the episode the loss started
      await advance(1_000);
      r.networkChanged(); // Chrome's own report of the change, 1-2 s after it
      await advance(500);
      t.bytes = 5_000; // the new link carries media within its grace
      await advance(1_000);
      r.networkChanged(); // a change after that is news
      await advance(100);
    });
    expect(log).toEqual(['0 rebuild b', '2800 restart b']);
  });

  it('naive: a lost address changes nothing (the baseline only restarts on ICE disconnected)', async () => {
    const log = await run(async (_t, r, advance) => {
      r.pathLost(['b']);
      await advance(3_000);
    }, 'naive');
    expect(log).toEqual([]);
  });

  it('fast: a network change restarts every peer before ICE notices', async () => {
    const log = await run(async (_t, r) => {
      r.networkChanged();
    });
    expect(log).toEqual(['0 restart b']);
  });
});
