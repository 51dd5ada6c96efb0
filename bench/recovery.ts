/**
 * Media recovery, side by side: the product (`fast`) against a naive baseline of the same SDK
 * (`?recovery=naive`: ICE restart only on `disconnected`, no forced keyframe), in one run.
 *
 * Scenarios: loopback (no root) — silent media cut, offline + media cut; network namespaces
 * (root) — real IP change, gapless interface switch, switch with a 1 s gap (`ip-change`,
 * `gapless-switch`, `switch-gap`: flat lab, direct path); NAT lab (root, coturn) — the IP change
 * and the gapless switch behind NATs, through TURN (`nat-ip-change`, `nat-switch`,
 * recovery-nat.ts), compared in a second table with their direct-path counterparts of the same
 * run (difference of the medians; goal: within 300 ms); and the IP change with Firefox ESR as A,
 * the participant whose address changes (`firefox-ip-change`, recovery-firefox.ts; B is
 * Chromium), next to Chromium's `ip-change`. The namespace and NAT runs are
 * interleaved (one run of each wanted scenario in turn), so load drifting on the machine hits
 * them alike.
 * Per run: change → CONF_RESUMING_IND, → CONF_RESUME_RESULT, → frames again on each side;
 * for cuts also path back → frames. Run: npm run bench:recovery [-- --runs 5 --only silent-cut]
 * (`--only` takes a comma-separated list of scenario names; `--cut MS` sets the loopback cut;
 * `--modes fast` skips the naive baseline; `--print-only` writes nothing under bench/results).
 *
 * The silent cut (CDP loopback cut, both sockets alive) also tells the outage's story per side,
 * as tests/e2e/media-outage.spec.ts does: one TSDK episode across the two, on the "owner" (the
 * side whose CONF_RESUMING_IND came; by the rule, the pair's initiator = smaller userId), while
 * the "other" side shows the remote tile as `reconnecting`. Per cut: cut → notice on each side
 * (owner: CONF_RESUMING_IND `at`; other: its `figure.tile:not(.local)` `data-status` becomes
 * `reconnecting`, recorded in the page), restore → CONF_RESUME_RESULT, restore → frames on each
 * side, and the episodes on each side (1 in total expected; counted, not asserted).
 * Writes bench/results/recovery.json and bench/results/recovery.md.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../tests/e2e/support/chromium.ts';
import { FIREFOX_SCENARIOS, runFirefoxScenario } from './recovery-firefox.ts';
import { loopbackScenario } from './recovery-loopback.ts';
import { NAT_SCENARIOS, runNatScenario } from './recovery-nat.ts';
import { NETNS_SCENARIOS, runNetnsScenario } from './recovery-netns.ts';
import { recoveryReport } from './recovery-report.ts';
import type { Mode, Sample } from './recovery-sample.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    cut: { type: 'string', default: '3000' },
    modes: { type: 'string', default: 'fast,naive' },
    // Prints each network-namespace run's WebRTC timeline (bench/rtc-trace.ts).
    trace: { type: 'boolean', default: false },
    // Prints the samples and tables but leaves bench/results alone (e.g. for a traced run).
    'print-only': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const cutMs = Number(values.cut);
const modes = (values.modes ?? 'fast,naive')
  .split(',')
  .filter((m: string): m is Mode => m === 'fast' || m === 'naive');

const wanted = (name: string) => !values.only || values.only.split(',').includes(name);
const all: Sample[] = [];
const browser = await chromium.launch(chromiumLaunchOptions());
try {
  for (const scenario of ['silent-cut', 'offline-cut'] as const) {
    if (!wanted(scenario)) continue;
    for (const mode of modes) all.push(...(await loopbackScenario(browser, scenario, mode, { runs, cutMs })));
  }
} finally {
  await browser.close();
}
// One run of each wanted namespace scenario in turn, `runs` times.
const labScenarios = [...NETNS_SCENARIOS, ...NAT_SCENARIOS, ...FIREFOX_SCENARIOS].filter(wanted);
const labSamples: Sample[] = [];
for (let i = 0; i < runs; i++) {
  for (const scenario of labScenarios) {
    for (const mode of modes) {
      const run = NAT_SCENARIOS.includes(scenario)
        ? runNatScenario
        : FIREFOX_SCENARIOS.includes(scenario)
          ? runFirefoxScenario
          : runNetnsScenario;
      labSamples.push(...(await run(scenario, mode, 1, { trace: values.trace ?? false })));
    }
  }
}
// Grouped by scenario and mode, as the table reads them.
for (const scenario of labScenarios)
  for (const mode of modes) all.push(...labSamples.filter((s) => s.scenario === scenario && s.mode === mode));

const { table, scenariosRun, result, natVsDirect } = recoveryReport(all, { runs, cutMs, modes });
if (!values['print-only']) {
  writeFileSync(
    join(root, 'bench/results/recovery.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), runs, cutMs, modes, scenarios: scenariosRun, result, natVsDirect, samples: all }, null, 2)}\n`,
  );
  writeFileSync(join(root, 'bench/results/recovery.md'), `${table.join('\n')}\n`);
}
console.log(`\n${table.join('\n')}`);
