/**
 * Gzipped size of the SDK entry alone (no app UI) and of the built app.
 * Writes bench/results/size.json and prints a table. Run: npm run bench:size
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { SDK_GOAL_BYTES, sdkBundleSize, sizeOf } from './sdk-bundle.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SDK_GOAL_KB = SDK_GOAL_BYTES / 1024;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

const sdk = await sdkBundleSize();

const appOut = join(tmpdir(), `app-size-${process.pid}`);
await build({
  configFile: join(root, 'vite.config.ts'),
  logLevel: 'warn',
  build: { outDir: appOut, emptyOutDir: true },
});
const appJs = sizeOf(files(appOut, /\.js$/));
const appCss = sizeOf(files(appOut, /\.css$/));

const result = {
  measuredAt: new Date().toISOString(),
  sdk: { ...sdk, goalGzipBytes: SDK_GOAL_KB * 1024, withinGoal: sdk.gzipBytes <= SDK_GOAL_KB * 1024 },
  app: { js: appJs, css: appCss, totalGzipBytes: appJs.gzipBytes + appCss.gzipBytes },
};
writeFileSync(join(root, 'bench/results/size.json'), `${JSON.stringify(result, null, 2)}\n`);

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
console.log('| bundle | raw | gzip |');
console.log('|---|---|---|');
console.log(
  `| SDK entry (web/src/sdk/index.ts) | ${kb(sdk.rawBytes)} | ${kb(sdk.gzipBytes)} (goal ≤ ${SDK_GOAL_KB} KB) |`,
);
console.log(`| app JS (SDK + UI) | ${kb(appJs.rawBytes)} | ${kb(appJs.gzipBytes)} |`);
console.log(`| app CSS | ${kb(appCss.rawBytes)} | ${kb(appCss.gzipBytes)} |`);
