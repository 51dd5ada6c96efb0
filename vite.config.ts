import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const web = fileURLToPath(new URL('./web', import.meta.url));

export default defineConfig({
  root: web,
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  resolve: {
    // The app imports the SDK as apps do (`resume-meeting`), built from its sources here.
    conditions: ['source', ...defaultClientConditions],
    // simple-peer@9 requires Node's `events`, `buffer`, `readable-stream`, `randombytes` and
    // `debug`. `events` is its npm port; the others are stand-ins for the little simple-peer
    // touches of them (web/src/sdk/media/stubs/: the data-channel stream API, which the SDK does
    // not use, random hex ids, no tracing): 65.1 → 46.8 KB gzipped (`npm run bench:size`).
    alias: {
      events: fileURLToPath(new URL('./node_modules/events/events.js', import.meta.url)),
      ...Object.fromEntries(
        ['buffer', 'readable-stream', 'randombytes', 'debug'].map((name) => [
          name,
          fileURLToPath(new URL(`./web/src/sdk/media/stubs/${name}.cjs`, import.meta.url)),
        ]),
      ),
    },
  },
  server: {
    proxy: {
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
});
