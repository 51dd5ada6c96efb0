/**
 * A worker thread of simulated participants for the storm bench (many per thread): the cheap
 * wire participants (storm-wire-participants.ts) unless `--clients sdk` asks for these:
 *
 * Product participants are the SDK minus the facade and media: the real `SignalClient` (one
 * socket.io socket, websocket only, no socket.io reconnection, `forceNew`) and the real resume
 * pipeline (`createResumePipeline`: trigger from the socket's disconnect, coalescing, episode,
 * login resume then conference resume, retries by the retry policy, 60 s window), with ports
 * written as `MeetingClient.resumePorts()` writes them.
 *
 * CSR participants are plain socket.io-client sockets of the reference server; after the drop
 * they reconnect on the same retry policy, so only the server side differs.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { fullJitterPolicy, type RetryPolicy } from '../web/src/sdk/resume/retry-policy.ts';
import { CsrParticipant } from './storm-csr-participant.ts';
import type { Hooks, Participant, Tally } from './storm-participant.ts';
import { ProductParticipant } from './storm-product-participant.ts';
import {
  LOOP_RESOLUTION_MS,
  ROOM_SIZE,
  type WorkerMessage,
  type WorkerOptions,
  type WorkerRequest,
  type WorkerResults,
} from './storm-protocol.ts';
import { WireCsrParticipant, WireProductParticipant } from './storm-wire-participants.ts';

/**
 * Participant i's own loopback source address (all of 127.0.0.0/8 is local on Linux): the
 * server sees N different client addresses, as it would in the field, so its per-address rate
 * limits apply per participant at their production values; and each address has its own
 * ephemeral ports, so N sockets never queue for ports.
 */
function sourceAddress(i: number): string {
  return `127.${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * The product's policy, or the same policy without its jitter. `fullJitterPolicy` has no switch
 * for that; its random source pinned to 1 makes every delay the full ceiling — plain capped
 * exponential backoff (0, 250, 500, 1000 … 5000 ms) with the same base, cap and window.
 */
function clientPolicy(jitter: boolean): RetryPolicy {
  return jitter ? fullJitterPolicy() : fullJitterPolicy({ random: () => 1 });
}

async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, runner));
}

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

async function main(): Promise<void> {
  const options = workerData as WorkerOptions;
  const policy = clientPolicy(options.jitter);
  const tally: Tally = { armed: false, failures: {}, episodesBeforeDrop: 0, disconnected: 0 };
  const participants: Participant[] = [];
  let finished = 0;
  /** Participants that got through setup: only they can finish. */
  let expected = 0;
  let reported = false;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const beyondInterval = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

  const results = (): WorkerResults => {
    const n = participants.length;
    const out: WorkerResults = {
      doneAt: new Float64Array(n),
      loginAt: new Float64Array(n),
      closedAt: new Float64Array(n),
      attempts: new Uint16Array(n),
      disconnected: tally.disconnected,
      failures: { ...tally.failures },
      episodesBeforeDrop: tally.episodesBeforeDrop,
      loopLagP99Ms: beyondInterval(loop.percentile(99)),
      loopLagMaxMs: beyondInterval(loop.max),
    };
    participants.forEach((p, i) => {
      out.doneAt[i] = p.doneAt;
      out.loginAt[i] = p.loginAt;
      out.closedAt[i] = p.closedAt;
      out.attempts[i] = Math.min(p.attempts, 0xffff);
    });
    return out;
  };
  // `--profile`: where the load generator's time goes (its own isolate: a worker's inspector).
  const profiler = options.profilePath ? new Session() : null;
  profiler?.connect();
  const report = (complete: boolean): void => {
    if (reported) return;
    reported = true;
    loop.disable();
    post({ type: 'results', complete, results: results() });
    if (profiler && options.profilePath) {
      const path = options.profilePath;
      void profiler.post('Profiler.stop').then(({ profile }) => writeFileSync(path, JSON.stringify(profile)));
    }
  };
  const hooks: Hooks = {
    tally,
    finished() {
      finished++;
      if (tally.armed && finished === expected) report(true);
    },
  };

  for (let i = options.from; i < options.to; i++) {
    const room = `${options.tag}-r${Math.floor(i / ROOM_SIZE)}`;
    const name = `${options.tag}-p${i}`;
    const at = sourceAddress(i);
    const sdk = options.clients === 'sdk';
    participants.push(
      options.system === 'product'
        ? sdk
          ? new ProductParticipant(options.url, at, name, room, policy, hooks)
          : new WireProductParticipant(options.url, at, name, room, policy, hooks)
        : sdk
          ? new CsrParticipant(options.url, at, room, policy, hooks)
          : new WireCsrParticipant(options.url, at, room, policy, hooks),
    );
  }
  const setupFailures: Record<string, number> = {};
  let connected = 0;
  // In index order per room, so every conference fills from its first member.
  await runPool(participants.length, options.setupConcurrency, async (i) => {
    try {
      await participants[i]?.setup();
      connected++;
      expected++;
    } catch (err) {
      // Out of the storm: it was never seated, so it must not report a resume either.
      participants[i]?.close();
      const reason = err instanceof Error ? err.message : String(err);
      setupFailures[reason] = (setupFailures[reason] ?? 0) + 1;
    }
  });
  post({ type: 'ready', connected, setupFailures });

  parentPort?.on('message', (request: WorkerRequest) => {
    switch (request.type) {
      case 'arm':
        tally.armed = true;
        loop.enable();
        void profiler?.post('Profiler.enable').then(() => profiler.post('Profiler.start'));
        for (const p of participants) p.arm();
        post({ type: 'armed' });
        if (expected === 0) report(true);
        return;
      case 'drop': {
        const at = Date.now();
        let sockets = 0;
        for (const p of participants) if (p.drop()) sockets++;
        post({ type: 'dropped', at, sockets, tookMs: Date.now() - at });
        return;
      }
      case 'report':
        report(false);
        return;
      case 'close':
        for (const p of participants) p.close();
        post({ type: 'closed' });
        return;
    }
  });
}

main().catch((err: unknown) => {
  post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
});
