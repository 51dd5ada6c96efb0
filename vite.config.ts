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
    // simple-peer@9 requires Node's `events` and `buffer`: use their npm ports, never an empty
    // browser stub. (`global` and `process.nextTick` are shimmed in web/src/sdk/media/shims.ts.)
    alias: {
      events: fileURLToPath(new URL('./node_modules/events/events.js', import.meta.url)),
      buffer: fileURLToPath(new URL('./node_modules/buffer/index.js', import.meta.url)),
      // simple-peer's only use of `debug` is its own tracing: a no-op keeps ~2 KB gzipped out.
      debug: fileURLToPath(new URL('./web/src/sdk/media/debug-stub.cjs', import.meta.url)),
    },
  },
  server: {
    proxy: {
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
});
