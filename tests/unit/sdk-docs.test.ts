/**
 * docs/sdk.md names the whole public API: every option, method and observable of
 * `MeetingClient`, every TSDK event and every result code. A new one that is not documented
 * fails here.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode, TsdkEvent } from '../../shared/src/index.ts';
import { MeetingClient } from '../../web/src/sdk/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(join(root, 'docs/sdk.md'), 'utf8');
const undocumented = (names: Iterable<string>) => [...names].filter((n) => !doc.includes(`\`${n}`));

let client: MeetingClient | null = null;
afterEach(() => {
  client?.destroy();
  client = null;
});

describe('docs/sdk.md', () => {
  it('names every option of MeetingClientOptions', () => {
    const source = readFileSync(join(root, 'web/src/sdk/client-types.ts'), 'utf8');
    const body = source.slice(source.indexOf('export interface MeetingClientOptions'));
    const options = [...body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}(\w+)\??:/gm)].map(
      (m) => m[1] ?? '',
    );
    expect(options.length).toBeGreaterThan(5);
    expect(undocumented(options)).toEqual([]);
  });

  it('names every public method, getter and observable of MeetingClient', () => {
    client = new MeetingClient({ environment: null, url: 'http://127.0.0.1:1' });
    const members = new Set<string>(Object.keys(client).filter((k) => k.endsWith('$')));
    for (let proto = Object.getPrototypeOf(client); proto && proto !== Object.prototype; ) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') members.add(name);
      proto = Object.getPrototypeOf(proto);
    }
    // Protected helpers of the observing half are not API.
    for (const internal of ['assertOpen']) members.delete(internal);
    expect(members.has('notify$')).toBe(true);
    expect(members.has('login')).toBe(true);
    expect(undocumented(members)).toEqual([]);
  });

  it('names every TSDK event and every result code', () => {
    expect(undocumented(Object.values(TsdkEvent))).toEqual([]);
    expect(undocumented(Object.keys(ResultCode))).toEqual([]);
  });
});
