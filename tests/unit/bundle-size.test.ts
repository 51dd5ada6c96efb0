/**
 * The SDK an app ships stays small (issue 13: ≤ 60 KB gzipped): the entry built alone, minified,
 * every dependency inside, as `npm run bench:size` measures it.
 */
import { describe, expect, it } from 'vitest';
import { SDK_GOAL_BYTES, sdkBundleSize } from '../../bench/sdk-bundle.ts';

describe('SDK bundle', () => {
  it('is at most 60 KB gzipped', { timeout: 60_000 }, async () => {
    const { gzipBytes } = await sdkBundleSize();
    expect(gzipBytes).toBeGreaterThan(10 * 1024); // the build really holds the SDK
    expect(gzipBytes).toBeLessThanOrEqual(SDK_GOAL_BYTES);
  });
});
