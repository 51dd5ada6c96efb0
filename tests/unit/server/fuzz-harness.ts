/**
 * Property-based fuzzing of every client→server event against the validation + handler layer,
 * in-process: the real gate (validate.ts), handlers, seats and MemoryStore, with fake sockets
 * and a socket.io Server attached to nothing (its room emits go nowhere). Used by
 * `fuzz.test.ts` (CI, 100 000+ inputs) and `bench/fuzz.ts` (1 000 000); the inputs come from
 * `fuzz-generators.ts`.
 *
 * Oracle per input: the process does not crash (no throw, no rejected promise, no error-level
 * log line, no SERVER_UNAVAILABLE), an ack gets exactly one reply with a numeric code, and an
 * input the contract refuses (unknown event, no ack, not exactly one payload, payload failing
 * its schema) is answered INVALID_PARAM (if it has an ack) and leaves the store and every
 * socket's session data exactly as they were. An input that happens to be valid (rare: the
 * generators aim at near misses) may change state; it is counted, and the harness is rebuilt
 * so the next input starts from the same known state.
 */
import fc from 'fast-check';
import { Server } from 'socket.io';
import type { ClientEventName } from '../../../shared/src/protocol.ts';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import { clientEventSchemas } from '../../../shared/src/schemas.ts';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { defaultConfig } from '../../../signaling-server/src/config.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { createApp } from '../../../signaling-server/src/server.ts';
import { MemoryStore } from '../../../signaling-server/src/store/memory-store.ts';
import type { AppServer, AppSocket } from '../../../signaling-server/src/types.ts';
import { createSocketGate, type SocketGate } from '../../../signaling-server/src/validate.ts';
import { type FuzzInput, fuzzInput, type GeneratorOptions } from './fuzz-generators.ts';

export interface FuzzStats {
  inputs: number;
  /** Inputs the contract refuses (all must be INVALID_PARAM and change nothing). */
  refused: number;
  /** Inputs valid by chance (handled normally). */
  acceptedByChance: number;
  byEvent: Record<string, number>;
  crashes: number;
  stateChanges: number;
  wrongReplies: number;
  /** Error-level log lines (handler failures). */
  errorLogs: number;
  /** Log lines about bad input (throttled: at most one per socket and kind per minute). */
  badInputLogLines: number;
  /** Times the world was rebuilt after a valid-by-chance input changed it (4 new sockets each). */
  rebuilds: number;
  failures: { input: string; problem: string }[];
}

const NO_REPLY = Symbol('no reply');
const BAD_INPUT_LINE =
  /"msg":"(invalid payload|unknown event|event without an ack callback dropped|socket queue full)"/;

interface World {
  store: MemoryStore;
  sockets: AppSocket[];
  gates: SocketGate[];
  handles: { ann: number; bob: number };
  token: string;
}

function fakeSocket(id: string): AppSocket {
  return {
    id,
    data: {},
    handshake: { address: '203.0.113.7' },
    join: async () => undefined,
    leave: async () => undefined,
  } as unknown as AppSocket;
}

export class FuzzHarness {
  readonly stats: FuzzStats = {
    inputs: 0,
    refused: 0,
    acceptedByChance: 0,
    byEvent: {},
    crashes: 0,
    stateChanges: 0,
    wrongReplies: 0,
    errorLogs: 0,
    badInputLogLines: 0,
    rebuilds: 0,
    failures: [],
  };
  #world!: World;
  #errorLines: string[] = [];
  /** The state after the last input (unchanged since: nothing runs between inputs). */
  #last: string | null = null;

  static async create(): Promise<FuzzHarness> {
    const harness = new FuzzHarness();
    await harness.#build();
    return harness;
  }

  get handles(): { ann: number; bob: number } {
    return this.#world.handles;
  }

  /** The fake sockets' resume token of Ann's session (a valid token, for near-miss payloads). */
  get token(): string {
    return this.#world.token;
  }

  async #build(): Promise<void> {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const logger = createLogger('info', {
      write: (line: string) => {
        if (BAD_INPUT_LINE.test(line)) this.stats.badInputLogLines += 1;
        // pino levels: 50 error, 60 fatal.
        if (/"level":(50|60)/.test(line) && this.#errorLines.length < 20) this.#errorLines.push(line);
        else if (/"level":(50|60)/.test(line)) this.#errorLines.push('');
      },
    });
    const io = new Server() as AppServer;
    // Limits high: the fuzz is about input handling, not about being refused for volume.
    const config = defaultConfig({
      rateLimit: {
        perAddress: 1e6,
        perGuestName: 1e6,
        resumePerAddress: 1e6,
        confResumeFailuresPerSession: 1e6,
      },
    });
    const app = createApp({ config, store, clock, logger, io });
    const sockets = [fakeSocket('anon'), fakeSocket('ann'), fakeSocket('bob')];
    const gates = sockets.map((s) => createSocketGate(s, app.gate));
    const call = (i: number, event: string, payload: unknown) =>
      new Promise<Record<string, unknown>>((resolve) =>
        gates[i]?.receive(event, [payload, (r: Record<string, unknown>) => resolve(r)]),
      );
    // Ann logs in on a socket that then goes away, and resumes on socket 1 (login-resumed).
    const annFirst = fakeSocket('ann-first');
    const annGate = createSocketGate(annFirst, app.gate);
    const login = await new Promise<Record<string, unknown>>((resolve) =>
      annGate.receive('login', [{ name: 'Ann' }, resolve]),
    );
    const ann = await new Promise<Record<string, unknown>>((resolve) =>
      annGate.receive('conf:join', [{ room: 'r1' }, resolve]),
    );
    const resumed = await call(1, 'resume', { token: login.resumeToken });
    await call(2, 'login', { name: 'Bob' });
    const bob = await call(2, 'conf:join', { room: 'r1' });
    if (resumed.code !== 0 || ann.code !== 0 || bob.code !== 0) throw new Error('fuzz world setup failed');
    this.#world = {
      store,
      sockets,
      gates,
      handles: { ann: ann.handle as number, bob: bob.handle as number },
      token: resumed.resumeToken as string,
    };
  }

  #state(): string {
    return JSON.stringify({
      store: this.#world.store.dump(),
      sockets: this.#world.sockets.map((s) => s.data),
    });
  }

  /** Runs one input; returns false (and records why) if the oracle says no. */
  async run(input: FuzzInput): Promise<boolean> {
    const { stats } = this;
    stats.inputs += 1;
    const key = Object.hasOwn(clientEventSchemas, input.event) ? input.event : '(other)';
    stats.byEvent[key] = (stats.byEvent[key] ?? 0) + 1;
    const refusedByContract = !isValid(input);
    if (refusedByContract) stats.refused += 1;
    const before = this.#last ?? this.#state();
    const errorsBefore = this.#errorLines.length;
    let reply: unknown = NO_REPLY;
    let replies = 0;
    let problem: string | null = null;
    try {
      const gate = this.#world.gates[input.socket];
      if (!gate) throw new Error('no gate');
      const done = new Promise<void>((resolve) => {
        const args = input.ack
          ? [
              ...input.args,
              (r: unknown) => {
                replies += 1;
                reply = r;
                resolve();
              },
            ]
          : input.args;
        gate.receive(input.event, args);
        if (!input.ack) resolve();
      });
      // A reply that never comes hangs here, and the test's timeout reports it.
      await done;
      // Let anything still queued run (there should be nothing for a refused input).
      if (!input.ack) await new Promise<void>((r) => setImmediate(r));
    } catch (err) {
      stats.crashes += 1;
      problem = `threw ${String(err)}`;
    }
    if (!problem && this.#errorLines.length > errorsBefore) {
      stats.crashes += 1;
      stats.errorLogs += this.#errorLines.length - errorsBefore;
      problem = `error log: ${this.#errorLines.at(-1)?.slice(0, 300)}`;
    }
    if (!problem && input.ack && (replies !== 1 || !isReply(reply))) {
      stats.wrongReplies += 1;
      problem = `ack replies: ${replies}, reply ${safeString(reply)}`;
    }
    const r = reply as { code?: number };
    if (!problem && r.code === ResultCode.SERVER_UNAVAILABLE) {
      stats.crashes += 1;
      problem = 'SERVER_UNAVAILABLE';
    }
    const after = this.#state();
    this.#last = after;
    if (!problem && refusedByContract) {
      if (input.ack && r.code !== ResultCode.INVALID_PARAM) {
        stats.wrongReplies += 1;
        problem = `refused input answered ${safeString(reply)}`;
      } else if (after !== before) {
        stats.stateChanges += 1;
        problem = 'state changed';
      }
    }
    if (!refusedByContract) {
      stats.acceptedByChance += 1;
      if (after !== before) {
        // Back to the known world, so every input starts from the same state.
        await this.#build();
        stats.rebuilds += 1;
        this.#last = null;
      }
    }
    if (problem) {
      if (stats.failures.length < 20) stats.failures.push({ input: safeString(input), problem });
      return false;
    }
    return true;
  }
}

function isReply(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'number'
  );
}

/** What the contract accepts: a known event, an ack, one payload that passes its schema. */
function isValid(input: FuzzInput): boolean {
  if (!Object.hasOwn(clientEventSchemas, input.event) || !input.ack || input.args.length !== 1) return false;
  try {
    return clientEventSchemas[input.event as ClientEventName].safeParse(input.args[0]).success;
  } catch {
    return false;
  }
}

export function safeString(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint'
        ? `${v}n`
        : typeof v === 'function'
          ? '[fn]'
          : typeof v === 'symbol'
            ? String(v)
            : v,
    );
    return (text ?? String(value)).slice(0, 300);
  } catch {
    return `[${typeof value}]`;
  }
}

/** Runs `count` generated inputs in batches; returns the stats and inputs/s. */
export async function fuzz(
  count: number,
  options: Partial<GeneratorOptions> & { seed?: number; onBatch?: (done: number) => void } = {},
): Promise<{ stats: FuzzStats; seconds: number; harness: FuzzHarness }> {
  const harness = await FuzzHarness.create();
  const gen = fuzzInput(
    { ...harness.handles, token: harness.token },
    {
      wire: options.wire ?? false,
      maxHuge: options.maxHuge ?? 1_000_000,
      maxDepth: options.maxDepth ?? 100_000,
    },
  );
  const started = performance.now();
  const batch = 5_000;
  let seed = options.seed ?? 42;
  for (let done = 0; done < count; done += batch) {
    const inputs = fc.sample(gen, { numRuns: Math.min(batch, count - done), seed: seed++ });
    for (const input of inputs) await harness.run(input);
    options.onBatch?.(done + inputs.length);
  }
  return { stats: harness.stats, seconds: (performance.now() - started) / 1_000, harness };
}
