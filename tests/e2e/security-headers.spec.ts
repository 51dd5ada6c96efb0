import { expect, type Page } from '@playwright/test';
import { test } from './support/fixtures.ts';
import { chatTexts, expectVideoFrom, joinByLink } from './support/meeting.ts';

/**
 * The built app runs under the server's Content-Security-Policy with no violation (issue 12):
 * page, script, stylesheet, favicon, the socket (ws: of the page's own host), camera, video
 * between two participants, chat. Violations are caught twice: the `securitypolicyviolation`
 * event (collected from before the app's first script) and Chromium's console messages.
 */
async function watchViolations(page: Page, seen: string[]): Promise<void> {
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

const violations = (page: Page) =>
  page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

test('the app joins by deep link, shows video and chat under the CSP with zero violations', async ({
  browser,
  server,
}) => {
  const console: string[] = [];
  const room = `csp-${Date.now()}`;
  // One participant on localhost, one on 127.0.0.1: `connect-src` follows the page's host.
  const a = await joinByLink(browser, server.url, room, 'Ada', {
    beforeJoin: (p) => watchViolations(p, console),
  });
  const b = await joinByLink(browser, server.ipUrl, room, 'Bob', {
    beforeJoin: (p) => watchViolations(p, console),
  });

  const response = await a.page.request.get(`${server.url}/`);
  const csp = response.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain(`ws://localhost:${server.port}`);
  expect(response.headers()['permissions-policy']).toBe('camera=(self), microphone=(self)');
  expect(response.headers()['x-powered-by']).toBeUndefined();

  await expectVideoFrom(a.page, ['Bob']);
  await expectVideoFrom(b.page, ['Ada']);
  await a.page.locator('#chat-input').fill('under the policy');
  await a.page.locator('#chat-send').click();
  await expect.poll(() => chatTexts(b.page)).toEqual(['under the policy']);

  expect(await violations(a.page)).toEqual([]);
  expect(await violations(b.page)).toEqual([]);
  expect(console).toEqual([]);
});
