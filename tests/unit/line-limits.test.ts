/**
 * The size rules of ARCHITECTURE.md, checked the way the boundary test checks layers: a source
 * file a reader must hold in mind at once stays under 300 lines, a test, bench or support file
 * under 400, and the files of one resume (read top-down, in the order ARCHITECTURE.md lists them)
 * under 250 each, six at most.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|mts)$/.test(e.name) && !e.parentPath.includes('node_modules'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

function lines(file: string): number {
  return readFileSync(join(root, file), 'utf8').split('\n').length - 1;
}

const over = (paths: string[], limit: number) =>
  paths.flatMap((f) => (lines(f) > limit ? [`${f}: ${lines(f)} lines`] : []));

/** The path of one resume, from trigger to the new handle to frames flowing. */
const RESUME_PATH = [
  'web/src/sdk/resume/watch-network.ts',
  'web/src/sdk/resume/pipeline.ts',
  'web/src/sdk/resume-wiring.ts',
  'web/src/sdk/session/login-session.ts',
  'web/src/sdk/conference/conference-room.ts',
  'web/src/sdk/meeting-media.ts',
];

describe('line limits', () => {
  const source = ['web/src', 'signaling-server/src', 'shared/src'].flatMap(files);
  const support = ['tests', 'bench'].flatMap(files);

  it('finds the files it checks (the scanner itself works)', () => {
    expect(source).toContain('web/src/sdk/meeting-client.ts');
    expect(support).toContain('tests/unit/line-limits.test.ts');
    expect(lines('tests/unit/line-limits.test.ts')).toBeGreaterThan(30);
  });

  it('no source file is over 300 lines', () => {
    expect(over(source, 300)).toEqual([]);
  });

  it('no test, bench or support file is over 400 lines', () => {
    expect(over(support, 400)).toEqual([]);
  });

  it('the facade is thin: MeetingClient and its observing half under 200 lines each', () => {
    expect(over(['web/src/sdk/meeting-client.ts', 'web/src/sdk/client-view.ts'], 200)).toEqual([]);
  });

  it('one resume reads through at most six files, each under 250 lines, listed in ARCHITECTURE.md in order', () => {
    expect(RESUME_PATH.length).toBeLessThanOrEqual(6);
    expect(over(RESUME_PATH, 249)).toEqual([]);
    const architecture = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
    const section = architecture.slice(architecture.indexOf('### The path of one resume'));
    const positions = RESUME_PATH.map((f) => section.indexOf(`\`${f.replace('web/src/sdk/', '')}\``));
    expect(
      positions.every((p) => p >= 0),
      `ARCHITECTURE.md names ${RESUME_PATH.join(', ')}`,
    ).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });
});
