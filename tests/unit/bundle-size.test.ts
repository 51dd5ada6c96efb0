/**
 * The SDK an app ships stays small (issue 13: ≤ 60 KB gzipped): the entry built alone, minified,
 * every dependency inside, as `npm run bench:size` measures it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const GOAL_BYTES = 60 * 1024;

describe('SDK bundle', () => {
  it('is at most 60 KB gzipped', { timeout: 60_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdk-bundle-'));
    try {
      await build({
        configFile: join(root, 'vite.config.ts'),
        logLevel: 'silent',
        build: {
          outDir: out,
          emptyOutDir: true,
          sourcemap: false,
          lib: {
            entry: join(root, 'web/src/sdk/index.ts'),
            formats: ['iife'],
            name: 'MeetingSdk',
            fileName: 'sdk',
          },
          rollupOptions: { external: [] },
        },
      });
      const js = readdirSync(out).filter((f) => f.endsWith('.js'));
      expect(js).toHaveLength(1);
      const gzip = gzipSync(readFileSync(join(out, js[0] as string)), { level: 9 }).length;
      expect(gzip).toBeGreaterThan(10 * 1024); // the build really holds the SDK
      expect(gzip).toBeLessThanOrEqual(GOAL_BYTES);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
