/**
 * Builds what `npm pack` ships besides the server's sources and the built app (package.json
 * `files`): `dist/package/sdk.js` (the SDK, one ES module with its browser dependencies and their
 * Node shims inside, so an app's bundler needs no polyfills), `dist/package/testing.js` (the
 * Playwright network fixtures, for Node; Playwright itself stays the app's), and their `.d.ts`
 * types (tsconfig.package.json). Run by `npm run build:package`, and by `npm pack` (prepack).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/package');
rmSync(out, { recursive: true, force: true });

await build({
  configFile: join(root, 'vite.config.ts'),
  logLevel: 'warn',
  build: {
    outDir: out,
    emptyOutDir: false,
    sourcemap: true,
    lib: { entry: join(root, 'web/src/sdk/index.ts'), formats: ['es'], fileName: () => 'sdk.js' },
    rollupOptions: { external: [] },
  },
});

await build({
  configFile: false,
  root,
  logLevel: 'warn',
  build: {
    outDir: out,
    emptyOutDir: false,
    sourcemap: true,
    target: 'node20',
    // Node code: its dependencies (Playwright) and Node's modules stay imports.
    ssr: join(root, 'tests/e2e/support/testing.ts'),
    rollupOptions: { output: { entryFileNames: 'testing.js', format: 'es' } },
  },
});

execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.package.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
console.log(`build-package: ${out}`);
