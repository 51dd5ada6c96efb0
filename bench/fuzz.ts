/**
 * Property-based fuzzing of every client→server event, in-process against the real gate,
 * handlers and store (tests/unit/server/fuzz-harness.ts has the generators and the oracle).
 * Run: npm run bench:fuzz [-- --inputs 1000000 --seed 1]
 * Writes bench/results/fuzz.json and prints a summary; exits 1 on any crash or state change.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fuzz } from '../tests/unit/server/fuzz-harness.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { inputs: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' } },
});
const inputs = Number(values.inputs);
const seed = Number(values.seed);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMB = () => {
  gc();
  gc();
  return +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
};

const heapStartMB = heapMB();
let heapAfterWarmupMB = heapStartMB;
const { stats, seconds } = await fuzz(inputs, {
  seed,
  onBatch: (done) => {
    if (done === 5_000) heapAfterWarmupMB = heapMB();
    if (done % 100_000 === 0) process.stdout.write(`  ${done.toLocaleString('en')} inputs\n`);
  },
});
const heapEndMB = heapMB();

const result = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  seed,
  inputs: stats.inputs,
  refusedByContract: stats.refused,
  acceptedByChance: stats.acceptedByChance,
  byEvent: stats.byEvent,
  crashes: stats.crashes,
  stateChanges: stats.stateChanges,
  wrongReplies: stats.wrongReplies,
  errorLogLines: stats.errorLogs,
  badInputLogLines: stats.badInputLogLines,
  worldRebuilds: stats.rebuilds,
  heap: { startMB: heapStartMB, afterWarmupMB: heapAfterWarmupMB, endMB: heapEndMB },
  rssMB: +(process.memoryUsage().rss / 2 ** 20).toFixed(1),
  seconds: +seconds.toFixed(1),
  inputsPerSecond: Math.round(stats.inputs / seconds),
  failures: stats.failures,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/fuzz.json'), `${JSON.stringify(result, null, 2)}\n`);

console.log(`
| inputs | refused | valid by chance | crashes | state changes | wrong replies | heap start → warm → end (MB) | inputs/s |
|---|---|---|---|---|---|---|---|
| ${result.inputs} | ${result.refusedByContract} | ${result.acceptedByChance} | ${result.crashes} | ${result.stateChanges} | ${result.wrongReplies} | ${heapStartMB} → ${heapAfterWarmupMB} → ${heapEndMB} | ${result.inputsPerSecond} |
wrote bench/results/fuzz.json`);
if (result.crashes + result.stateChanges + result.wrongReplies > 0) process.exit(1);
