/**
 * Signaling resume latency in real Chromium: A and B in a meeting, A goes offline for 5 s,
 * then online. Measures, inside A's page, `online` event → LOGIN_RESUME_RESULT and
 * → CONF_RESUME_RESULT. Run: npm run bench:resume-signal [-- --runs N --rtt MS]
 * Writes bench/results/resume-signal.json (with --rtt: resume-signal-rtt-MS.json, A's page
 * behind a path of that round trip) and prints a markdown table.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../tests/e2e/support/chromium.ts';
import { joinByLink } from '../tests/e2e/support/meeting.ts';
import { startTestServer } from '../tests/e2e/support/server.ts';
import { startDelayProxy } from './delay-proxy.ts';
import { type Summary, summarize } from './stats.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    offline: { type: 'string', default: '5000' },
    rtt: { type: 'string', default: '0' },
  },
});
const runs = Number(values.runs);
const offlineMs = Number(values.offline);
/** With a round trip: A's page (HTTP and socket) goes through bench/delay-proxy.ts, B's does not. */
const rttMs = Number(values.rtt);
const GOAL_MS = 150;

async function lastOnlineAndResults(page: Page) {
  // No named helpers inside: tsx (esbuild keepNames) would wrap them in a `__name` call that
  // does not exist in the page.
  return page.evaluate(() => {
    const h = window.meetingClient.history as { event: string; at: number }[];
    return {
      online: (window as unknown as { __onlineAt: number }).__onlineAt,
      login: h.findLast((n) => n.event === 'TSDK_E_LOGIN_EVT_LOGIN_RESUME_RESULT')?.at ?? 0,
      conf: h.findLast((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT')?.at ?? 0,
      count: h.filter((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT').length,
    };
  });
}

const server = await startTestServer();
const proxy = rttMs > 0 ? await startDelayProxy({ host: '127.0.0.1', port: server.port }, rttMs / 2) : null;
const browser = await chromium.launch(chromiumLaunchOptions());
const toLogin: number[] = [];
const toConf: number[] = [];
try {
  const paths = proxy
    ? [{ via: `${rttMs} ms RTT`, url: `http://127.0.0.1:${proxy.port}` }]
    : [
        { via: 'localhost', url: server.url },
        { via: '127.0.0.1', url: server.ipUrl },
      ];
  for (const { via, url } of paths) {
    const room = `bench-${via.replaceAll(/[^a-z0-9]/gi, '-')}`;
    const a = await joinByLink(browser, url, room, 'Ada');
    const b = await joinByLink(browser, server.ipUrl, room, 'Bob');
    await a.page.evaluate(() => {
      window.addEventListener('online', () => {
        (window as unknown as { __onlineAt: number }).__onlineAt = Date.now();
      });
    });
    for (let i = 0; i < runs; i++) {
      const before = (await lastOnlineAndResults(a.page)).count;
      await a.context.setOffline(true);
      await a.page.waitForTimeout(offlineMs);
      await a.context.setOffline(false);
      let r = await lastOnlineAndResults(a.page);
      for (let t = 0; r.count === before && t < 200; t++) {
        await a.page.waitForTimeout(50);
        r = await lastOnlineAndResults(a.page);
      }
      if (r.count === before) throw new Error(`run ${i} via ${via}: no CONF_RESUME_RESULT`);
      toLogin.push(r.login - r.online);
      toConf.push(r.conf - r.online);
      console.log(
        `${via} run ${i + 1}: online→login ${r.login - r.online} ms, online→conf ${r.conf - r.online} ms`,
      );
      await a.page.waitForTimeout(500);
    }
    await Promise.all([a.context.close(), b.context.close()]);
  }
} finally {
  await browser.close();
  await proxy?.close();
  await server.close();
}

const result: {
  runs: number;
  offlineMs: number;
  goalMs: number;
  toLoginResumeResult: Summary;
  toConfResumeResult: Summary;
} = {
  runs: toConf.length,
  offlineMs,
  goalMs: GOAL_MS,
  toLoginResumeResult: summarize(toLogin),
  toConfResumeResult: summarize(toConf),
};
writeFileSync(
  join(root, `bench/results/resume-signal${rttMs > 0 ? `-rtt-${rttMs}` : ''}.json`),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), rttMs, ...result }, null, 2)}\n`,
);
console.log('\n| from `online` to | median | min | max | runs |');
console.log('|---|---|---|---|---|');
for (const [name, s] of [
  ['LOGIN_RESUME_RESULT', result.toLoginResumeResult],
  ['CONF_RESUME_RESULT', result.toConfResumeResult],
] as const) {
  console.log(`| ${name} | ${s.median} ms | ${s.min} ms | ${s.max} ms | ${s.n} |`);
}
console.log(
  `\ngoal: CONF_RESUME_RESULT median ≤ ${GOAL_MS} ms → ${result.toConfResumeResult.median <= GOAL_MS ? 'met' : 'not met'}`,
);
