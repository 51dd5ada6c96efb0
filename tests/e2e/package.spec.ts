/**
 * The package as an app team gets it (issue 13): `npm pack`, the tarball installed into a fresh
 * folder outside the repository, a consumer page (tests/package/consumer/meeting.ts) type-checked
 * with `tsc --strict` against the published `.d.ts` (no skipLibCheck), and one Playwright test of
 * that consumer written only against `resume-meeting/testing` (resume.spec.ts: a real IP change in
 * the namespace lab, served by the server inside the installed package). Dependencies come from
 * npm's cache where `npm ci` left them (`--prefer-offline`). Packing, installing and type-checking
 * need no root; only the consumer's lab test does.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { netnsSkipReason } from 'resume-meeting/testing';
import { REPO_ROOT } from './support/netns-kit.ts';

const CONSUMER = join(REPO_ROOT, 'tests/package/consumer');

/** Runs a command; resolves with its output, rejects with the output's tail when it fails. */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
      (err, stdout, stderr) => {
        const out = `${stdout}\n${stderr}`;
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed (${err.message}):\n${out.slice(-4_000)}`));
        else resolve(out);
      },
    );
  });
}

/** The version this repository has installed: the consumer gets the same, from npm's cache. */
const installed = (name: string) =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;

/** The outer runner's own variables would steer the consumer's Playwright; it starts clean. */
function consumerEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(PLAYWRIGHT|PW_|TEST_)/.test(k) && k !== 'NODE_OPTIONS'),
  );
}

test('packed and installed elsewhere: the consumer type-checks strictly and its resume test passes', async () => {
  test.setTimeout(480_000);
  const dir = mkdtempSync(join(tmpdir(), 'resume-meeting-consumer-'));
  try {
    const packed = JSON.parse(
      await run('npm', ['pack', '--json', '--pack-destination', dir], REPO_ROOT).then(jsonOf),
    );
    const tarball: string = packed[0].filename;
    const files: string[] = packed[0].files.map((f: { path: string }) => f.path);
    // What ships: the SDK and fixtures with types, the server, the app; no tests, no benches.
    expect(files).toEqual(expect.arrayContaining(['dist/package/sdk.js', 'dist/package/testing.js']));
    expect(files.some((f) => f.startsWith('signaling-server/src/'))).toBe(true);
    expect(files.filter((f) => /^(tests|bench)\//.test(f))).toEqual([]);

    for (const f of readdirSync(CONSUMER)) copyFileSync(join(CONSUMER, f), join(dir, f));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'meeting-app',
        private: true,
        type: 'module',
        dependencies: { 'resume-meeting': `file:./${tarball}` },
        devDependencies: Object.fromEntries(
          ['@playwright/test', '@types/node', 'typescript'].map((n) => [n, installed(n)]),
        ),
      }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], dir);

    await run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
    const out = await run(
      process.execPath,
      [join(dir, 'node_modules/@playwright/test/cli.js'), 'test', '--reporter=line'],
      dir,
      consumerEnv(),
    );
    // Where no lab can be built (not root, outside CI), the consumer's own fixture skips its
    // test with the reason; in CI it never skips (netns-support.ts), so there it must pass.
    expect(out).toMatch(netnsSkipReason() === null ? /\b1 passed\b/ : /\b1 skipped\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `npm pack --json` prints the prepack build's output first: the JSON is the last `[`…`]` block. */
function jsonOf(out: string): string {
  const start = out.lastIndexOf('\n[');
  const end = out.lastIndexOf(']');
  return out.slice(start + 1, end + 1);
}
