import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../../shared/src/index.ts';
import { ChatOutbox } from '../../../web/src/sdk/conference/chat-outbox.ts';

describe('chat outbox', () => {
  it('keeps messages pending in order, resolves each with its seq once sent', async () => {
    const box = new ChatOutbox();
    const first = box.add('m1', 'one');
    const second = box.add('m2', 'two');
    expect(box.pending.map((e) => e.id)).toEqual(['m1', 'm2']);
    box.markSent('m1', 10);
    box.markSent('m2', 11);
    await expect(first).resolves.toBe(10);
    await expect(second).resolves.toBe(11);
    expect(box.entries.map((e) => e.state)).toEqual(['sent', 'sent']);
  });

  it('drops an entry once the conference shows the message (delivered)', () => {
    const box = new ChatOutbox();
    void box.add('m1', 'one');
    box.delivered('m1');
    expect(box.entries).toEqual([]);
  });

  it('fails what is pending when the conference ends, with the code', async () => {
    const box = new ChatOutbox();
    const sent = box.add('m1', 'one');
    box.failPending(ResultCode.CONF_ENDED, new Error('ended'));
    await expect(sent).rejects.toThrow('ended');
    expect(box.entries).toEqual([{ id: 'm1', text: 'one', state: 'failed', code: ResultCode.CONF_ENDED }]);
    box.clear();
    expect(box.entries).toEqual([]);
  });
});
