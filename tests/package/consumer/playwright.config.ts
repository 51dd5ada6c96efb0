import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from 'resume-meeting/testing';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  workers: 1,
  timeout: 120_000,
  use: { browserName: 'chromium', launchOptions: chromiumLaunchOptions() },
});
