/**
 * The SDK as an app ships it: the entry built alone, minified, every dependency inside, and its
 * size raw and gzipped. Shared by `npm run bench:size` and the goal's test
 * (tests/unit/bundle-size.test.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The goal of issue 13. */
export const SDK_GOAL_BYTES = 60 * 1024;

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
}

/** Raw and gzipped (level 9) bytes of the files, summed. */
export function sizeOf(paths: string[]): BundleSize {
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const path of paths) {
    const body = readFileSync(path);
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  return { rawBytes, gzipBytes };
}

export async function sdkBundleSize(): Promise<BundleSize> {
  const out = mkdtempSync(join(tmpdir(), 'sdk-bundle-'));
  try {
    await build({
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'warn',
      build: {
        outDir: out,
        emptyOutDir: true,
        sourcemap: false,
        // IIFE, not ES: Vite keeps whitespace in ES library builds, which is not what ships.
        lib: {
          entry: join(root, 'web/src/sdk/index.ts'),
          formats: ['iife'],
          name: 'MeetingSdk',
          fileName: 'sdk',
        },
        rollupOptions: { external: [] },
      },
    });
    return sizeOf(readdirSync(out).flatMap((f) => (f.endsWith('.js') ? [join(out, f)] : [])));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
