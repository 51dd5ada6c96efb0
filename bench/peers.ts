/**
 * The product against PeerJS, side by side (issue 16): the same namespace lab, the same run, the
 * same fake camera, five network changes on A (real IP change, gapless interface switch,
 * dual-homed A losing its first interface, link down 5 s, UDP dropped 3 s), interleaved run by run so drifting load hits both alike. PeerJS is
 * the smallest call page its documentation recommends (bench/peerjs-page/, `reconnect()` on
 * `disconnected`, calling again when the call closes) on its own server (`peer`) inside R.
 * Needs root. Run: npm run bench:peers [-- --runs 5 --only ip-change,link-down-5s --trace]
 * Writes bench/results/peers.{json,md,svg}; `-- --render` lays out the committed peers.json again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PEER_SCENARIOS } from './peers-lab.ts';
import { audioTable, peerChart, peerRows, peerTable } from './peers-report.ts';
import { type PeerSample, type PeerSystem, peerRun } from './peers-run.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    systems: { type: 'string', default: 'ours,peerjs' },
    'print-only': { type: 'boolean', default: false },
    // Prints each of the product's runs' WebRTC timeline (bench/rtc-trace.ts).
    trace: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const scenarios = PEER_SCENARIOS.filter((s) => !values.only || values.only.split(',').includes(s));
const systems = (values.systems ?? 'ours,peerjs')
  .split(',')
  .filter((s): s is PeerSystem => s === 'ours' || s === 'peerjs');

/** Runs every sample, or (`--render`) takes the committed ones, to lay out again with this report code. */
async function measure(): Promise<{ samples: PeerSample[]; measuredAt: string }> {
  if (values.render) return JSON.parse(readFileSync(join(root, 'bench/results/peers.json'), 'utf8'));
  const samples: PeerSample[] = [];
  for (let i = 0; i < runs; i++)
    for (const scenario of scenarios)
      for (const system of systems) samples.push(await peerRun(system, scenario, i, { trace: values.trace }));
  return { samples, measuredAt: new Date().toISOString() };
}
const { samples, measuredAt } = await measure();

const rows = peerRows(samples, scenarios);
const table = [...peerTable(rows, samples, runs), '', ...audioTable(samples, scenarios)];
if (!values['print-only']) {
  writeFileSync(
    join(root, 'bench/results/peers.json'),
    `${JSON.stringify({ measuredAt, runs, scenarios, systems, rows, samples }, null, 2)}\n`,
  );
  writeFileSync(join(root, 'bench/results/peers.md'), `${table.join('\n')}\n`);
  writeFileSync(join(root, 'bench/results/peers.svg'), peerChart(samples, scenarios, measuredAt));
}
console.log(`\n${table.join('\n')}`);
