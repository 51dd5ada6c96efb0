import { describe, it } from 'vitest';
import { abandonAfter } from '../../../web/src/sdk/resume/abandon-after.ts';
import { newScheduler } from './fakes.ts';

describe('abandonAfter', () => {
  it('mirrors the source, then at the deadline drops it and emits the abandon values', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 59998ms b 10ms c');
      expectObservable(
        source.pipe(abandonAfter({ deadline: 60_000, scheduler: ts, abandon: () => ['x', 'y'] })),
      ).toBe('a 59998ms b 0ms (xy|)');
      expectSubscriptions(source.subscriptions).toBe('^ 59999ms !');
    });
  });

  it('does nothing if the source ends first', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(
        cold('a 100ms |').pipe(abandonAfter({ deadline: 60_000, scheduler: ts, abandon: () => ['x'] })),
      ).toBe('a 100ms |');
    });
  });

  it('the deadline is absolute scheduler time', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      // Subscribed at 1000 ms with a deadline of 1500 ms: abandoned 500 ms later.
      const source = cold('-');
      expectObservable(
        source.pipe(abandonAfter({ deadline: 1500, scheduler: ts, abandon: () => ['x'] })),
        '1000ms ^',
      ).toBe('1500ms (x|)');
    });
  });
});
