/**
 * The build-time stand-ins for simple-peer's Node dependencies (web/src/sdk/media/stubs/,
 * vite.config.ts): each does what simple-peer asks of it, and simple-peer asks no more than
 * that (checked against its source, so an upgrade that uses more fails here, not in a browser).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);
const stubs = '../../../web/src/sdk/media/stubs';
const { Duplex } = require(`${stubs}/readable-stream.cjs`) as {
  Duplex: new () => NodeJS.EventEmitter & {
    readable: boolean;
    _readableState: { ended: boolean };
    _writableState: { finished: boolean };
    push(chunk: unknown): boolean;
    write(chunk: unknown, cb?: (err: Error | null) => void): boolean;
    end(): void;
  };
};
const randomBytes = require(`${stubs}/randombytes.cjs`) as (n: number) => { toString(enc: string): string };
const { Buffer: StubBuffer } = require(`${stubs}/buffer.cjs`) as {
  Buffer: { from(b: ArrayBuffer): Uint8Array };
};
const peerSource = readFileSync(require.resolve('simple-peer/index.js'), 'utf8');

describe('simple-peer stand-ins', () => {
  it('Duplex: data and end from push, finish once from end, write goes to _write', () => {
    const written: unknown[] = [];
    class Peer extends Duplex {
      _write(chunk: unknown, _enc: string, cb: (err: Error | null) => void) {
        written.push(chunk);
        cb(null);
      }
    }
    const peer = new Peer();
    const events: string[] = [];
    peer.on('data', (d) => events.push(`data ${d}`));
    peer.on('end', () => events.push('end'));
    const onFinish = vi.fn();
    peer.once('finish', onFinish);
    const done = vi.fn();

    expect(peer.write('x', done)).toBe(true);
    peer.push('y');
    peer.push(null);
    peer.end();
    peer.end();

    expect(written).toEqual(['x']);
    expect(done).toHaveBeenCalledWith(null);
    expect(events).toEqual(['data y', 'end']);
    expect(onFinish).toHaveBeenCalledTimes(1);
    expect(peer._readableState.ended).toBe(true);
    expect(peer._writableState.finished).toBe(true);
  });

  it('randombytes: hex of the size asked, different each time', () => {
    const a = randomBytes(20).toString('hex');
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    expect(randomBytes(20).toString('hex')).not.toBe(a);
  });

  it('Buffer.from: the bytes of a data-channel message', () => {
    expect([...StubBuffer.from(new Uint8Array([1, 2, 255]).buffer)]).toEqual([1, 2, 255]);
  });

  it('simple-peer uses no more of them than the stand-ins give', () => {
    const fields = (re: RegExp) => [...new Set([...peerSource.matchAll(re)].map((m) => m[1]))].sort();
    expect(fields(/_readableState\.(\w+)/g)).toEqual(['ended']);
    expect(fields(/_writableState\.(\w+)/g)).toEqual(['finished']);
    expect(fields(/Buffer\.(\w+)/g)).toEqual(['from']);
    expect(fields(/randombytes\(\d+\)\.(\w+\(\S*?\))/g)).toEqual(["toString('hex')"]);
    expect(fields(/\bstream\.(\w+)/g)).toEqual(['Duplex', 'getTracks']);
  });
});
