/** bench:abuse's report: the rounds pooled into abuse.json's object and abuse.md's text. */
import { loadavg } from 'node:os';
import { sumTally, type Tally } from './abuse-attacker.ts';
import { type Honest, honestDropCount } from './abuse-clients.ts';
import { percentile, summary } from './abuse-latency.ts';
import type { Round } from './abuse-round.ts';

export interface AbuseRun {
  seconds: number;
  roundCount: number;
  rounds: Round[];
  /** The server's counters after the last round. */
  counters: Record<string, number>;
  /** Server RSS (MB) before the first round. */
  rssBefore: number;
  ann: Honest;
  bob: Honest;
}

export function abuseReport({ seconds, roundCount, rounds, counters, rssBefore, ann, bob }: AbuseRun) {
  const baseline = summary(rounds.flatMap((r) => r.baseline.ms));
  const flood = summary(rounds.flatMap((r) => r.flood.ms));
  const baseSent = rounds.reduce((n, r) => n + r.baseline.sent, 0);
  const baseLost = rounds.reduce((n, r) => n + r.baseline.lost, 0);
  const floodSent = rounds.reduce((n, r) => n + r.flood.sent, 0);
  const floodLost = rounds.reduce((n, r) => n + r.flood.lost, 0);
  const notTimed = rounds.reduce((n, r) => n + r.flood.notTimed, 0);
  const rssGrowth = Math.max(...rounds.map((r) => r.rssGrowthMB));
  const kinds = rounds
    .map((r) => r.attack.kinds)
    .reduce((a, b) => ({
      chat: sumTally(a.chat, b.chat),
      signal: sumTally(a.signal, b.signal),
      joinLeave: sumTally(a.joinLeave, b.joinLeave),
    }));
  const logins = rounds.reduce((n, r) => n + r.attack.logins, 0);
  const disconnects = rounds.reduce((n, r) => n + r.attack.disconnects, 0);
  const reasons: Record<string, number> = {};
  for (const r of rounds)
    for (const [why, n] of Object.entries(r.attack.reasons)) reasons[why] = (reasons[why] ?? 0) + n;
  const resumes = rounds.map((r) => r.resumed);
  const resumeMs = resumes.map((r) => r.ms).sort((a, b) => a - b);

  const result = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    seconds,
    rounds: roundCount,
    defaults: 'npm run serve (its node flags), in-memory, every limit at its default',
    loadAverage1m: +(loadavg()[0] ?? 0).toFixed(2),
    attacker: { kinds, logins, disconnects, disconnectReasons: reasons },
    victims: { ann: ann.fromAttacker, bob: bob.fromAttacker },
    serverCounters: counters,
    rssMB: { beforeFirstRound: +rssBefore.toFixed(1), worstRoundGrowth: +rssGrowth.toFixed(1) },
    honest: {
      baseline: { ...baseline, sent: baseSent, lost: baseLost },
      flood: { ...flood, sent: floodSent, lost: floodLost, notTimedAwayOrReplayed: notTimed },
      perRound: rounds.map((r) => ({ ...r.p99, eventLoopLagMaxMs: r.eventLoopLagMaxMs })),
      disconnectedBesidesTheResume: honestDropCount(),
      p99Ratio: +(flood.p99 / baseline.p99).toFixed(2),
    },
    resume: { ok: resumes.every((r) => r.ok), medianMs: +percentile(resumeMs, 50).toFixed(1), each: resumes },
    goals: {
      rssGrowthAtMost30MB: rssGrowth <= 30,
      p99AtMostTwiceBaseline: flood.p99 <= 2 * baseline.p99,
      resumeSucceeded: resumes.every((r) => r.ok),
      nothingLost: floodLost === 0 && baseLost === 0,
    },
  };
  const row = (name: string, t: Tally) =>
    `| ${name} | ${t.sent} | ${t.accepted} | ${t.refused} | ${t.other} |`;
  const md = [
    `# bench:abuse (${result.measuredAt}, ${roundCount} rounds of ${seconds} s alone + ${seconds} s flood, node ${process.version})`,
    '',
    `Machine load average (1 min) at the end: ${result.loadAverage1m}. Attacker, all rounds: ${logins} logins (a fresh guest a second after each cut), ${disconnects} sockets ended by the server (${Object.entries(
      reasons,
    )
      .map(([why, n]) => `${why} ${n}`)
      .join(', ')}); the server stopped reading it ${counters.signaling_read_pauses_total ?? 0} times.`,
    '',
    '| attacker event (all rounds) | sent | accepted | RATE_LIMITED | other (another rule refused it, or its socket was cut) |',
    '|---|---|---|---|---|',
    row('chat:send (3.9 KB)', kinds.chat),
    row('signal (offer, 15 KB)', kinds.signal),
    row('conf:join + conf:leave', kinds.joinLeave),
    '',
    '| honest pair, both directions pooled over the rounds | alone | during the flood |',
    '|---|---|---|',
    `| chat latency samples | ${baseline.n} | ${flood.n} |`,
    `| chat latency p50 / p95 (ms) | ${baseline.p50} / ${baseline.p95} | ${flood.p50} / ${flood.p95} |`,
    `| chat latency p99 (ms) | ${baseline.p99} | ${flood.p99} (×${result.honest.p99Ratio}) |`,
    `| chat latency max (ms) | ${baseline.max} | ${flood.max} |`,
    `| messages sent / lost | ${baseSent} / ${baseLost} | ${floodSent} / ${floodLost} (${notTimed} written while Bob resumed or replayed to him: not in the latency) |`,
    `| honest sockets dropped by the server | — | ${honestDropCount()} |`,
    `| received from the attacker (Ann / Bob) | — | chat ${ann.fromAttacker.chat} / ${bob.fromAttacker.chat}, signals ${ann.fromAttacker.signals} / ${bob.fromAttacker.signals}, roster ${ann.fromAttacker.roster} / ${bob.fromAttacker.roster} |`,
    '',
    `Per round, p99 alone → flood (ms) and the server's worst event-loop lag in the flood: ${rounds
      .map((r) => `${r.p99.baseline} → ${r.p99.flood} (lag ${r.eventLoopLagMaxMs})`)
      .join('; ')}.`,
    '',
    `Server RSS: ${result.rssMB.beforeFirstRound} MB before the first round, worst growth in one flood +${result.rssMB.worstRoundGrowth} MB. ` +
      `Bob's resumes mid-flood: ${result.resume.ok ? `all ok, median ${result.resume.medianMs} ms` : `FAILED (${JSON.stringify(resumes)})`}.`,
    '',
    `Goals: ${Object.entries(result.goals)
      .map(([g, ok]) => `${g} ${ok ? 'yes' : 'NO'}`)
      .join(', ')}.`,
    '',
  ].join('\n');
  return { result, md };
}
