/**
 * The layering rules of ARCHITECTURE.md, checked mechanically: every relative import in the
 * source tree is resolved and tested against the rules below.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|mts)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

const IMPORT =
  /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm;

function edges(files: string[]): Edge[] {
  return files.flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return [...text.matchAll(IMPORT)].map((m) => ({
      from: file,
      to: relative(root, resolve(root, dirname(file), m[3] ?? m[4] ?? '')),
      typeOnly: Boolean(m[2]),
    }));
  });
}

const all = edges(['shared', 'web', 'signaling-server'].flatMap(sourceFiles));
const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
const violations = (pred: (e: Edge) => boolean) => all.filter(pred).map((e) => `${e.from} → ${e.to}`);

describe('layer boundaries', () => {
  it('finds the imports it checks (the scanner itself works)', () => {
    expect(all.length).toBeGreaterThan(10);
    expect(all.some((e) => under(e.from, 'signaling-server') && under(e.to, 'shared'))).toBe(true);
  });

  it('shared/ imports nothing from either side', () => {
    expect(violations((e) => under(e.from, 'shared') && !under(e.to, 'shared'))).toEqual([]);
  });

  it('web/ and signaling-server/ never import each other', () => {
    expect(
      violations(
        (e) =>
          (under(e.from, 'web') && under(e.to, 'signaling-server')) ||
          (under(e.from, 'signaling-server') && under(e.to, 'web')),
      ),
    ).toEqual([]);
  });

  it('source never imports tests or benchmarks', () => {
    expect(violations((e) => under(e.to, 'tests') || under(e.to, 'bench'))).toEqual([]);
  });

  it('the app uses the SDK as apps do: through the package entry `resume-meeting`, never a relative path', () => {
    expect(violations((e) => under(e.from, 'web/src/app') && !under(e.to, 'web/src/app'))).toEqual([]);
    expect(readFileSync(join(root, 'web/src/app/main.ts'), 'utf8')).toMatch(/from 'resume-meeting';/);
  });

  it('media never talks to the server itself', () => {
    expect(
      violations((e) => under(e.from, 'web/src/sdk/media') && under(e.to, 'web/src/sdk/signal')),
    ).toEqual([]);
  });

  it('the browser bundle never carries the zod schemas at run time', () => {
    expect(
      violations((e) => under(e.from, 'web') && !e.typeOnly && /^shared\/src\/schemas(\.ts)?$/.test(e.to)),
    ).toEqual([]);
  });
});
