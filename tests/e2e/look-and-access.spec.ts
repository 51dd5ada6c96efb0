/**
 * How the app looks and whether everyone can use it (issue 15): screenshots of the main states
 * into reports/screenshots/ (look at them: a state that looks wrong is a bug), and axe-core on
 * the join form and the meeting view: no serious or critical violation, and the join form and the
 * chat work from the keyboard alone. Chromium; Firefox's screenshots and axe run in firefox.spec.ts.
 */
import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { prepareMediaCut } from 'resume-meeting/testing';
import { bySeverity } from './support/axe.ts';
import { test } from './support/fixtures.ts';
import { events, expectVideoFrom, history, joinByLink } from './support/meeting.ts';

const SCREENSHOTS = 'reports/screenshots';

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
}

/**
 * axe-core's serious and critical violations, as `rule (impact): targets` lines (empty when
 * clean); the lesser ones are noted on the test.
 */
async function seriousViolations(page: Page, where: string): Promise<string[]> {
  const { violations, passes } = await new AxeBuilder({ page }).analyze();
  expect(passes.length, 'axe ran its rules').toBeGreaterThan(10);
  const { serious, lesser } = bySeverity(
    violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })),
  );
  if (lesser.length > 0) {
    test.info().annotations.push({ type: `axe ${where}, moderate/minor`, description: lesser.join('; ') });
  }
  return serious;
}

test('axe: the join form and the meeting view have no serious or critical violation; join and chat by keyboard', async ({
  browser,
  server,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await expect(page.locator('#join-form')).toBeVisible();
  expect(await seriousViolations(page, 'join form'), 'join form').toEqual([]);
  await shoot(page, 'chromium-join-form');

  // Keyboard only: the name field, Tab to the room, Enter submits.
  await page.locator('#join-name').focus();
  await page.keyboard.type('Ada');
  await page.keyboard.press('Tab');
  await expect(page.locator('#join-room')).toBeFocused();
  await page.keyboard.type('access');
  await page.keyboard.press('Enter');
  await expect(page.locator('#meeting')).toBeVisible();

  const bob = await joinByLink(browser, server.url, 'access', 'Bob');
  await expectVideoFrom(page, ['Bob']);
  await page.locator('#chat-input').focus();
  await page.keyboard.type('typed, not clicked');
  await page.keyboard.press('Enter');
  await expect(bob.page.locator('#chat-log')).toContainText('typed, not clicked');

  expect(await seriousViolations(page, 'meeting view'), 'meeting view').toEqual([]);
  // Leave is a button reachable and usable by keyboard.
  await page.locator('#leave').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#join-form')).toBeVisible();
});

test('screenshots: in the meeting, a peer reconnecting, own network lost (banner and countdown), given up', async ({
  browser,
  server,
}) => {
  const room = 'screens';
  // Ada's page clock is virtual (runs at real pace until fast-forwarded): the 60 s rule.
  const ada = await joinByLink(browser, server.ipUrl, room, 'Ada', { clock: true });
  let cut: Awaited<ReturnType<typeof prepareMediaCut>> | undefined;
  const bob = await joinByLink(browser, server.ipUrl, room, 'Bob', {
    beforeJoin: async (page) => {
      cut = await prepareMediaCut(page);
    },
  });
  await expectVideoFrom(ada.page, ['Bob']);
  await expectVideoFrom(bob.page, ['Ada']);
  await expect(ada.page.locator('#connection')).toHaveText('online');
  await shoot(ada.page, 'chromium-in-meeting');

  // Bob's media cut (signaling up): his tile on Ada's side says "reconnecting".
  await cut?.cut();
  const bobTile = ada.page.locator('#video-grid figure.tile:not(.local)');
  await expect(bobTile).toHaveAttribute('data-status', 'reconnecting');
  await expect(bobTile.locator('.badge.reconnecting')).toBeVisible();
  await shoot(ada.page, 'chromium-peer-reconnecting');
  await cut?.restore();
  await expect(bobTile).not.toHaveAttribute('data-status', 'reconnecting', { timeout: 30_000 });
  // Let any episode the cut started finish before the next state.
  await expect(ada.page.locator('#status-banner')).toBeEmpty({ timeout: 30_000 });

  // Ada's own network lost: the banner with its countdown.
  const before = (await events(ada.page)).length;
  await ada.context.setOffline(true);
  await expect(ada.page.locator('#status-banner')).toContainText(/Giving up in \d+ s/);
  await expect(ada.page.locator('#status-banner')).toHaveAttribute('aria-live', 'polite');
  // The old socket may still be open (setOffline leaves it): not "online" under that banner.
  await expect(ada.page.locator('#connection')).toHaveText('reconnecting');
  await shoot(ada.page, 'chromium-own-network-lost');

  // Still gone at the deadline: given up, back to the join form, the reason said.
  const resumingAt = (await history(ada.page))[before]?.at ?? 0;
  const elapsed = (await ada.page.evaluate(() => Date.now())) - resumingAt;
  await ada.page.clock.fastForward(60_000 - elapsed + 100);
  await expect(ada.page.locator('#join-form')).toBeVisible();
  await expect(ada.page.locator('#status-banner')).toContainText('could not be resumed');
  await expect(ada.page.locator('#connection')).toHaveText('offline');
  await shoot(ada.page, 'chromium-given-up');
});
