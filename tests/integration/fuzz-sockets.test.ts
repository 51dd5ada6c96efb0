import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientEventName } from '../../shared/src/protocol.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { clientEventSchemas } from '../../shared/src/schemas.ts';
import { LIMITS } from '../../shared/src/timing.ts';
import { fuzzInput } from '../unit/server/fuzz-generators.ts';
import { safeString } from '../unit/server/fuzz-harness.ts';
import { startServer, type TestClient, UNLIMITED_QUOTAS } from './helpers.ts';

/**
 * The same generators as the in-process fuzz (tests/unit/server/fuzz.test.ts), through real
 * socket.io sockets: what survives the wire (JSON and binary attachments) reaches the gate.
 * Packets above `maxHttpBufferSize` are sent on throwaway sockets, which the server closes.
 */
const INPUTS = 5_000;
/** socket.io-client refuses to emit these names itself. */
const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

describe('fuzzing every inbound event through real sockets', () => {
  it(`${INPUTS} generated inputs: 0 crashes, 0 state changes, refusals are INVALID_PARAM, oversized packets close only their socket`, async () => {
    // Thousands of events on a few sockets: the quotas would refuse most before the schemas saw them.
    const server = await startServer({ config: { quotas: UNLIMITED_QUOTAS } });
    try {
      const anon = await server.connect();
      const annFirst = await server.connect();
      const login = await annFirst.login('Ann');
      const ja = await annFirst.join('r1');
      const ann = await server.connect();
      const token = (await ann.resume(login.resumeToken)).resumeToken;
      const bob = await server.connect();
      await bob.login('Bob');
      const jb = await bob.join('r1');
      const sockets: TestClient[] = [anon, ann, bob];
      await ann.settle();

      const gen = fuzzInput(
        { ann: ja.handle, bob: jb.handle, token },
        { wire: true, maxHuge: 40_000, maxDepth: 2_000 },
      );
      // A few more than needed: names socket.io-client will not emit are skipped.
      const inputs = fc.sample(gen, { numRuns: INPUTS + 200, seed: 7 });
      const state = () => JSON.stringify(server.store.dump());
      let baseline = state();
      const figures = {
        inputs: 0,
        refused: 0,
        acceptedByChance: 0,
        noAck: 0,
        oversizedClosed: 0,
        stateChanges: 0,
        wrongReplies: 0,
      };
      const heapBefore = process.memoryUsage().heapUsed;
      const wrong: string[] = [];

      for (const input of inputs) {
        if (RESERVED.has(input.event)) continue;
        if (figures.inputs === INPUTS) break;
        figures.inputs += 1;
        let bytes = 0;
        try {
          bytes = Buffer.byteLength(JSON.stringify([input.event, ...input.args]) ?? '');
        } catch {
          bytes = 0;
        }
        if (bytes > LIMITS.packetBytes - 2_048) {
          // At or above maxHttpBufferSize (in bytes, with binary attachments apart): on a
          // throwaway socket. The server closes it, or (just under the limit) refuses the event.
          const victim = await server.connect();
          const closed = victim.closedByServer().then(() => 'closed' as const);
          const answered = new Promise<{ code?: number }>((resolve) =>
            victim.loose.emit(input.event, ...input.args, resolve),
          );
          const outcome = await Promise.race([closed, answered]);
          if (outcome === 'closed') figures.oversizedClosed += 1;
          else if (outcome.code !== ResultCode.INVALID_PARAM) {
            figures.wrongReplies += 1;
            wrong.push(`${input.event} (${bytes} bytes) → ${safeString(outcome)}`);
          }
          victim.disconnect();
          if (state() !== baseline) figures.stateChanges += 1;
          continue;
        }
        const socket = sockets[input.socket] as TestClient;
        if (!socket.socket.connected)
          throw new Error(`socket ${input.socket} was closed before input ${figures.inputs}`);
        let reply: { code?: number } | undefined;
        if (input.ack) {
          reply = (await socket.callRaw(input.event, ...input.args)) as { code?: number };
        } else {
          socket.loose.emit(input.event, ...input.args);
          await socket.settle();
          figures.noAck += 1;
        }
        const now = state();
        if (!input.ack || reply?.code === ResultCode.INVALID_PARAM) {
          figures.refused += 1;
          if (now !== baseline) figures.stateChanges += 1;
        } else {
          // Accepted: it must be valid once through JSON, and answered with a code.
          figures.acceptedByChance += 1;
          // With a binary attachment, socket.io-client rebuilds the payload before sending
          // (a `__proto__` key does not survive that): only JSON-only payloads are re-checked.
          const onWire = JSON.parse(JSON.stringify(input.args)) as unknown[];
          const valid =
            hasBinary(input.args) ||
            (Object.hasOwn(clientEventSchemas, input.event) &&
              onWire.length === 1 &&
              clientEventSchemas[input.event as ClientEventName].safeParse(onWire[0]).success);
          if (typeof reply?.code !== 'number' || reply.code === ResultCode.SERVER_UNAVAILABLE || !valid) {
            figures.wrongReplies += 1;
            wrong.push(`${input.event} ${safeString(input.args)} → ${safeString(reply)}`);
          }
          baseline = now;
        }
      }
      const heapGrowthMB = +((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1);
      const errors = server.logs.filter((l) => (l.level as number) >= 50);
      const fuzzed = new Set(sockets.map((c) => c.socket.id));
      const badInputLines = server.logs.filter(
        (l) => l.msg === 'invalid payload' && fuzzed.has(l.socket as string),
      ).length;
      console.log(
        `fuzz (sockets): ${JSON.stringify({ ...figures, errorLogLines: errors.length, badInputLines, heapGrowthMB })}`,
      );
      expect(wrong).toEqual([]);
      expect(errors).toEqual([]);
      expect(figures.stateChanges).toBe(0);
      expect(figures.wrongReplies).toBe(0);
      expect(figures.inputs).toBe(INPUTS);
      expect(figures.refused).toBeGreaterThan(INPUTS * 0.9);
      // Logged once per socket (3 fuzzed sockets), not once per packet.
      expect(badInputLines).toBeLessThanOrEqual(3);
      // The sockets are still there and the server still serves (valid-by-chance inputs such
      // as a bare `logout` may have changed who is where: that is the baseline).
      for (const s of sockets) expect((await s.call('ping', {})).code).toBe(0);
      expect(state()).toBe(baseline);
      const later = await server.connect();
      await later.login('Later');
      await later.join('r1');
    } finally {
      await server.close();
    }
  }, 60_000);
});

function hasBinary(value: unknown, depth = 0): boolean {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return true;
  if (typeof value !== 'object' || value === null || depth > 5_000) return false;
  return Object.values(value).some((v) => hasBinary(v, depth + 1));
}
