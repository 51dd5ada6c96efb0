import { describe, expect, it } from 'vitest';
import { TsdkEvent, type TsdkNotification } from '../../../shared/src/index.ts';
import { silentLogger } from '../../../web/src/sdk/logger.ts';
import { Notifier } from '../../../web/src/sdk/notifier.ts';

describe('Notifier', () => {
  it('records every notification in order with a timestamp', () => {
    let t = 100;
    const n = new Notifier(() => t++, silentLogger);
    n.emit(TsdkEvent.AUTH_SUCCESS, 0, 0, {});
    n.emit(TsdkEvent.LOGIN_SUCCESS, 0, 0, {});
    expect(n.history.map((r) => [r.event, r.at])).toEqual([
      [TsdkEvent.AUTH_SUCCESS, 100],
      [TsdkEvent.LOGIN_SUCCESS, 101],
    ]);
  });

  it('a throwing listener does not break the others', () => {
    const n = new Notifier(() => 0, silentLogger);
    const seen: string[] = [];
    n.onNotify(() => {
      throw new Error('boom');
    });
    n.onNotify((r) => seen.push(r.event));
    n.emit(TsdkEvent.AUTH_SUCCESS, 0, 0, {});
    n.emit(TsdkEvent.LOGIN_SUCCESS, 0, 0, {});
    expect(seen).toEqual([TsdkEvent.AUTH_SUCCESS, TsdkEvent.LOGIN_SUCCESS]);
  });

  it('keeps the order for everyone when a listener emits', () => {
    const n = new Notifier(() => 0, silentLogger);
    const a: string[] = [];
    const b: string[] = [];
    n.onNotify((r) => {
      a.push(r.event);
      if (r.event === TsdkEvent.AUTH_SUCCESS) n.emit(TsdkEvent.LOGIN_SUCCESS, 0, 0, {});
    });
    n.onNotify((r) => b.push(r.event));
    n.notify$.subscribe((r: TsdkNotification) => b.push(`rx:${r.event}`));
    n.emit(TsdkEvent.AUTH_SUCCESS, 0, 0, {});
    expect(a).toEqual([TsdkEvent.AUTH_SUCCESS, TsdkEvent.LOGIN_SUCCESS]);
    expect(b).toEqual([
      `rx:${TsdkEvent.AUTH_SUCCESS}`,
      TsdkEvent.AUTH_SUCCESS,
      `rx:${TsdkEvent.LOGIN_SUCCESS}`,
      TsdkEvent.LOGIN_SUCCESS,
    ]);
  });

  it('unsubscribes', () => {
    const n = new Notifier(() => 0, silentLogger);
    const seen: string[] = [];
    const off = n.onNotify((r) => seen.push(r.event));
    off();
    n.emit(TsdkEvent.AUTH_SUCCESS, 0, 0, {});
    expect(seen).toEqual([]);
  });
});
