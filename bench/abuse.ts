/**
 * `npm run bench:abuse` (issue 12): one attacker floods chat, signal relays and joins/leaves for
 * 10 s while two honest participants chat (one message a second each) and one of them resumes
 * mid-flood. Before each flood the same honest traffic runs 10 s without the attacker (the
 * baseline); a run is several such rounds, pooled (ROUNDS says why).
 * The server is `npm run serve` as deployed (its own process, default limits, in-memory store).
 *
 * Reports: attacker events sent / accepted / refused and its disconnects, what the honest pair
 * received from it, server RSS growth (sampled from /proc every 100 ms), the honest chat
 * delivery latency p50/p99 with and without the flood, whether the resume succeeded, and
 * whether any honest message was lost. Writes bench/results/abuse.json and abuse.md.
 * Run: npm run bench:abuse [-- --seconds 10 --rounds 5]; ABUSE_PROF=<dir> writes the server's CPU profile there.
 * The latency figures need an otherwise idle machine: the report gives the load average.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attacker } from './abuse-attacker.ts';
import { honest } from './abuse-clients.ts';
import { abuseReport } from './abuse-report.ts';
import { type Round, round } from './abuse-round.ts';
import { rssMB, serverCounters, startServer } from './abuse-server.ts';

type Any = { emit(event: string, ...args: unknown[]): unknown };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    // Internal: this process is the attacker (its own event loop, like a real one's machine).
    attack: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
/**
 * One round's p99 of ~40 samples is its worst message, and one GC pause or scheduler hiccup of
 * this noisy machine moved it 3× between identical runs (measured: 5.6 / 18.6 / 11.4 ms alone):
 * the figures pool several rounds, each a phase alone then a phase under flood.
 */
const ROUNDS = Number(values.rounds);

if (values.attack) {
  const { url, room, victims, ms } = JSON.parse(values.attack) as {
    url: string;
    room: string;
    victims: number[];
    ms: number;
  };
  const result = await attacker(url, room, victims, performance.now() + ms);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const server = await startServer();
const pid = server.child.pid as number;
try {
  const room = 'abuse';
  const ann = await honest(server.url, 'Ann', room);
  const bob = await honest(server.url, 'Bob', room);
  const rssBefore = rssMB(pid);
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    rounds.push(await round(SECONDS, server, pid, ann, bob, room, i));
    process.stderr.write(`round ${i + 1}/${ROUNDS}: p99 ${JSON.stringify(rounds.at(-1)?.p99)}\n`);
  }
  const counters = await serverCounters(server.metricsUrl);
  const { result, md } = abuseReport({
    seconds: SECONDS,
    roundCount: ROUNDS,
    rounds,
    counters,
    rssBefore,
    ann,
    bob,
  });
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'abuse.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, 'abuse.md'), md);
  process.stdout.write(md);
  for (const s of [ann.socket, bob.socket]) (s as unknown as Any).emit('logout', {}, () => {});
} finally {
  server.child.kill('SIGTERM');
}
process.exit(0);
