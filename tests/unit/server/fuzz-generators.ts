/**
 * The fuzz inputs (see `fuzz-harness.ts` for the oracle that judges them): every client→server
 * event, each payload a valid one bent by one mutation or replaced by a JSON-ish value with the
 * nasty corners, plus unknown and hostile event names, missing or extra arguments, no ack.
 */
import fc from 'fast-check';
import type { ClientEventName } from '../../../shared/src/protocol.ts';
import { clientEventSchemas } from '../../../shared/src/schemas.ts';

export const EVENTS = Object.keys(clientEventSchemas) as ClientEventName[];

export interface FuzzInput {
  event: string;
  /** The arguments before the ack. */
  args: unknown[];
  ack: boolean;
  /** Which fake socket sends it: 0 anonymous, 1 Ann (login-resumed, in r1), 2 Bob (in r1). */
  socket: 0 | 1 | 2;
}

/** Keys that break naive code: prototype pollution, shadowed builtins, the contract's own names. */
const NASTY_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'then',
  'length',
];
const CONTRACT_KEYS = [
  'name',
  'password',
  'token',
  'room',
  'handle',
  'lastSeq',
  'from',
  'to',
  'data',
  'id',
  'text',
  'type',
  'sdp',
  'candidate',
  'renegotiate',
  'transceiverRequest',
  'kind',
  'init',
  'rebuild',
];

function deepArray(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
function deepObject(depth: number, key = 'data'): unknown {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
}

export interface GeneratorOptions {
  /** Values that survive the wire (JSON + socket.io binary): no undefined in arrays, bigint, … */
  wire: boolean;
  /** Largest generated string, in characters. */
  maxHuge: number;
  /** Deepest prebuilt nesting. */
  maxDepth: number;
}

/** JSON-ish values with the nasty corners: NaN, ±Infinity, -0, huge strings, deep nesting, … */
export function jsonish(options: GeneratorOptions): fc.Arbitrary<unknown> {
  const huge = [1_000, LIMITS_EDGE, options.maxHuge].map((n) => 'x'.repeat(n));
  const special = fc.constantFrom<unknown>(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    -1,
    1.5,
    2 ** 32,
    2 ** 53 + 2,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    null,
    true,
    false,
    '',
    ' ',
    '\u0000',
    '\u202e',
    '\ud800',
    'offer',
    'candidate',
    'restart',
    ...huge,
    ...(options.wire ? [] : [undefined, 10n, Symbol('s'), () => 1, new Date(0), new Map([[1, 2]])]),
  );
  // Any code point, lone surrogates and controls included (fast-check's 'binary' unit builds a
  // 1.1M-entry table first; this is the same set, cheaper).
  const anyChar = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
  const key = fc.oneof(
    fc.constantFrom(...NASTY_KEYS, ...CONTRACT_KEYS),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: anyChar, maxLength: 4 }),
  );
  const deep = fc.constantFrom(
    deepArray(64),
    deepObject(64),
    deepArray(options.maxDepth),
    deepObject(options.maxDepth),
    deepObject(options.maxDepth, '__proto__'),
    JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    options.wire ? new Uint8Array([1, 2, 3]) : Buffer.from('binary'),
  );
  const leaf = fc.oneof(
    { weight: 3, arbitrary: special },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.string({ unit: anyChar, maxLength: 20 }) },
    { weight: 1, arbitrary: deep },
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      { weight: 4, arbitrary: leaf },
      { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 5 }) },
      // Object.fromEntries defines own properties, `__proto__` included (never a prototype).
      {
        weight: 2,
        arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((e) => Object.fromEntries(e)),
      },
    ),
  }));
  return value;
}
/** Just past the largest string limit of the contract (the signal SDP). */
const LIMITS_EDGE = 32_001;

/** A valid payload per event, aimed at the fuzz world's real state. */
export function validPayload(
  event: ClientEventName,
  ctx: { ann: number; bob: number; token: string },
): unknown {
  switch (event) {
    case 'login':
      // A guest: a password would make each near-miss that stays valid cost an scrypt run.
      return { name: 'Zed' };
    case 'resume':
      return { token: ctx.token };
    case 'logout':
      return {};
    case 'conf:join':
      return { room: 'r2' };
    case 'conf:leave':
      return { handle: ctx.ann };
    case 'conf:resume':
      return { handle: ctx.ann, lastSeq: 0 };
    case 'signal':
      return { from: ctx.ann, to: ctx.bob, data: { type: 'offer', sdp: 'v=0' } };
    case 'chat:send':
      return { handle: ctx.ann, id: 'm1', text: 'hi' };
    case 'ping':
    case 'ice:refresh':
      return {};
  }
}

type Mutation =
  | { op: 'drop'; pick: number }
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'extra'; key: string; value: unknown }
  | { op: 'nested'; value: unknown }
  | { op: 'replace'; value: unknown }
  | { op: 'wrap' };

function mutate(base: unknown, m: Mutation): unknown {
  const obj = { ...(base as Record<string, unknown>) };
  const keys = Object.keys(obj);
  switch (m.op) {
    case 'drop': {
      const k = keys[m.pick % Math.max(1, keys.length)];
      if (k !== undefined) delete obj[k];
      return obj;
    }
    case 'set': {
      const k = keys[m.pick % Math.max(1, keys.length)] ?? 'x';
      Object.defineProperty(obj, k, { value: m.value, enumerable: true, writable: true, configurable: true });
      return obj;
    }
    case 'extra':
      Object.defineProperty(obj, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return obj;
    case 'nested': {
      // Inside the signal's data (or the first object field): the deepest part of the contract.
      const k = keys.includes('data') ? 'data' : keys[0];
      if (k === undefined) return m.value;
      obj[k] = { ...(typeof obj[k] === 'object' ? (obj[k] as object) : {}), extra: m.value };
      return obj;
    }
    case 'replace':
      return m.value;
    case 'wrap':
      return [obj];
  }
}

/** Inputs for every client→server event, plus unknown and hostile event names. */
export function fuzzInput(
  ctx: { ann: number; bob: number; token: string },
  options: GeneratorOptions,
): fc.Arbitrary<FuzzInput> {
  const value = jsonish(options);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ op: fc.constant('drop' as const), pick: fc.nat(8) }),
    fc.record({ op: fc.constant('set' as const), pick: fc.nat(8), value }),
    fc.record({
      op: fc.constant('extra' as const),
      key: fc.oneof(fc.constantFrom(...NASTY_KEYS, ...CONTRACT_KEYS), fc.string({ maxLength: 8 })),
      value,
    }),
    fc.record({ op: fc.constant('nested' as const), value }),
    fc.record({ op: fc.constant('replace' as const), value }),
    fc.constant({ op: 'wrap' as const }),
  );
  const event = fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom<string>(...EVENTS) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          'disconnect',
          'connect',
          '',
        ),
        fc.string({ maxLength: 16 }),
      ),
    },
  );
  return fc
    .record({
      event,
      how: fc.oneof(
        { weight: 3, arbitrary: mutation.map((m) => ({ m })) },
        { weight: 1, arbitrary: value.map((v) => ({ v })) },
      ),
      extraArgs: fc.oneof(
        { weight: 12, arbitrary: fc.constant<unknown[] | null>([]) },
        { weight: 1, arbitrary: fc.constant<unknown[] | null>(null) }, // no payload at all
        { weight: 1, arbitrary: fc.array(value, { minLength: 1, maxLength: 3 }) },
      ),
      ack: fc.oneof(
        { weight: 9, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      socket: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    })
    .map(({ event, how, extraArgs, ack, socket }) => {
      const base = Object.hasOwn(clientEventSchemas, event)
        ? validPayload(event as ClientEventName, ctx)
        : { room: 'r1' };
      const payload = 'm' in how ? mutate(base, how.m) : how.v;
      const args = extraArgs === null ? [] : [payload, ...extraArgs];
      return { event, args, ack, socket };
    });
}
