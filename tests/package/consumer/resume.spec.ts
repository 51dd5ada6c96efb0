// One Playwright test of a meeting app's resume, written only against `resume-meeting/testing`:
// the lab's server (from the installed package) serves the meeting app, A's IP address really
// changes, and A's page tells the TSDK episode with a new handle.
import type { Browser, Page } from '@playwright/test';
import type { MeetingClient, TsdkNotification } from 'resume-meeting';
import { changeIp, expect, test } from 'resume-meeting/testing';

const history = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { meetingClient: MeetingClient }).meetingClient.history.map(
      (n: TsdkNotification) => ({
        event: n.event,
        param1: n.param1,
        param2: n.param2,
      }),
    ),
  );

test("A's IP address changes: A resumes on a new handle linked to the old one", async ({
  lab,
  browserA,
  browserB,
}) => {
  const open = async (browser: Browser, name: string) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${lab.serverUrl}/?room=package&name=${name}`);
    await expect
      .poll(async () => (await history(page)).map((n) => n.event))
      .toContain('TSDK_E_CONF_EVT_JOIN_CONF_RESULT');
    return page;
  };
  const ana = await open(browserA, 'Ana');
  await open(browserB, 'Ben');
  const joined = (await history(ana)).find((n) => n.event === 'TSDK_E_CONF_EVT_JOIN_CONF_RESULT');
  const before = (await history(ana)).length;

  await changeIp(lab);

  await expect
    .poll(async () => (await history(ana)).slice(before).map((n) => n.event), { timeout: 30_000 })
    .toContain('TSDK_E_CONF_EVT_CONF_RESUME_RESULT');
  const result = (await history(ana))
    .slice(before)
    .find((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT');
  expect(result?.param2).toBe(0);
  expect(result?.param1).not.toBe(joined?.param1);
});
