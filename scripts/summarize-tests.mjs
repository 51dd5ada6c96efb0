// Sums the JSON reports of Vitest and Playwright into one line: "N passed, N failed".
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'reports';
let passed = 0;
let failed = 0;
let skipped = 0;
const seen = [];

const unitPath = join(dir, 'unit.json');
if (existsSync(unitPath)) {
  const unit = JSON.parse(readFileSync(unitPath, 'utf8'));
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
  skipped += unit.numPendingTests + (unit.numTodoTests ?? 0);
  seen.push(`unit+integration ${unit.numPassedTests}/${unit.numTotalTests}`);
}

const e2ePath = join(dir, 'e2e.json');
if (existsSync(e2ePath)) {
  const { stats } = JSON.parse(readFileSync(e2ePath, 'utf8'));
  passed += stats.expected + stats.flaky;
  failed += stats.unexpected;
  skipped += stats.skipped;
  seen.push(
    `e2e ${stats.expected + stats.flaky}/${stats.expected + stats.flaky + stats.unexpected + stats.skipped}`,
  );
}

if (seen.length === 0) {
  console.log('no test report found');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`suites: ${seen.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
