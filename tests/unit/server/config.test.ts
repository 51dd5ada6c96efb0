import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { DEFAULT_MEMORY_LIMITS, loadConfig, REPO_ROOT } from '../../../signaling-server/src/config.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { DEFAULT_ALLOWED_ORIGINS } from '../../../signaling-server/src/origin.ts';
import { hashPassword, verifyPassword } from '../../../signaling-server/src/passwords.ts';
import { DEFAULT_QUOTAS, Quotas } from '../../../signaling-server/src/quotas.ts';
import { RateLimiter } from '../../../signaling-server/src/rate-limit.ts';
import { makeCertificate } from '../../support/certificate.ts';

describe('config', () => {
  it('has defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      allowGuests: true,
      logLevel: 'info',
      sourceMaps: false,
    });
    expect(config.staticDir).toBe(join(REPO_ROOT, 'dist/web'));
    expect(config.accounts.size).toBe(0);
  });

  it('reads env vars and an accounts file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'accounts.json');
    writeFileSync(file, JSON.stringify([{ name: 'alice', passwordHash: await hashPassword('pw') }]));
    const config = loadConfig({
      PORT: '4000',
      HOST: '127.0.0.1',
      ALLOW_GUESTS: 'false',
      ACCOUNTS_FILE: file,
      SOURCE_MAPS: 'true',
    });
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', allowGuests: false, sourceMaps: true });
    expect(await verifyPassword('pw', config.accounts.get('alice') ?? '')).toBe(true);
  });

  it('has rate limits that let a NAT office resume, and reads each from the environment', () => {
    expect(loadConfig({}).rateLimit).toEqual({
      windowMs: 60_000,
      perAddress: 300,
      perAccount: 20,
      perGuestName: 60,
      resumePerAddress: 6_000,
      resumePerSession: 60,
      confResumeFailuresPerSession: 30,
    });
    const config = loadConfig({
      RATE_LIMIT_WINDOW_MS: '1000',
      RATE_LIMIT_PER_ADDRESS: '1',
      RATE_LIMIT_PER_ACCOUNT: '2',
      RATE_LIMIT_PER_GUEST_NAME: '3',
      RATE_LIMIT_RESUME_PER_ADDRESS: '4',
      RATE_LIMIT_RESUME_PER_SESSION: '5',
      RATE_LIMIT_CONF_RESUME_FAILURES: '6',
    });
    expect(Object.values(config.rateLimit)).toEqual([1000, 1, 2, 3, 4, 5, 6]);
    expect(() => loadConfig({ RATE_LIMIT_RESUME_PER_ADDRESS: '0' })).toThrow(/RATE_LIMIT_RESUME_PER_ADDRESS/);
  });

  it('refuses bad values', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ ALLOW_GUESTS: 'maybe' })).toThrow(/ALLOW_GUESTS/);
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'accounts.json');
    writeFileSync(file, JSON.stringify([{ name: 'alice', passwordHash: 'plaintext' }]));
    expect(() => loadConfig({ ACCOUNTS_FILE: file })).toThrow(/scrypt/);
  });
});

describe('config: ICE (STUN/TURN)', () => {
  const SECRET = 'a-long-shared-secret-0123';

  it('has no ICE servers and the `all` policy by default', () => {
    expect(loadConfig({}).ice).toEqual({ stunUrls: [], turn: null, policy: 'all' });
  });

  it('reads STUN and TURN URL lists, the secret, the TTL and the policy', () => {
    const config = loadConfig({
      STUN_URLS: ' stun:stun.example.com:3478, stuns:[2001:db8::1]:5349 ,,stun:10.0.0.7',
      TURN_URLS:
        'turn:turn.example.com:3478?transport=udp,turn:turn.example.com:3478?transport=tcp,turns:turn.example.com:443?transport=tcp,turns:turn.example.com',
      TURN_SECRET: SECRET,
      TURN_TTL_S: '600',
      ICE_TRANSPORT_POLICY: 'relay',
    });
    expect(config.ice).toEqual({
      stunUrls: ['stun:stun.example.com:3478', 'stuns:[2001:db8::1]:5349', 'stun:10.0.0.7'],
      turn: {
        urls: [
          'turn:turn.example.com:3478?transport=udp',
          'turn:turn.example.com:3478?transport=tcp',
          'turns:turn.example.com:443?transport=tcp',
          'turns:turn.example.com',
        ],
        secret: SECRET,
        ttlS: 600,
      },
      policy: 'relay',
    });
    expect(loadConfig({ TURN_URLS: 'turn:t.example.com', TURN_SECRET: SECRET }).ice.turn?.ttlS).toBe(3600);
    // The lower bound: seconds, for short-lived deployments and tests that let credentials expire.
    expect(
      loadConfig({ TURN_URLS: 'turn:t.example.com', TURN_SECRET: SECRET, TURN_TTL_S: '5' }).ice.turn?.ttlS,
    ).toBe(5);
    expect(loadConfig({ ICE_TRANSPORT_POLICY: 'all' }).ice.policy).toBe('all');
  });

  it.each([
    [{ STUN_URLS: 'turn:t.example.com' }, /STUN_URLS/],
    [{ STUN_URLS: 'stun:s.example.com?transport=udp' }, /STUN_URLS/],
    [{ STUN_URLS: 'http://s.example.com' }, /STUN_URLS/],
    [{ STUN_URLS: 'stun://s.example.com:3478' }, /STUN_URLS/],
    [{ STUN_URLS: 'stun:s.example.com:0' }, /STUN_URLS/],
    [{ STUN_URLS: 'stun:s.example.com:70000' }, /STUN_URLS/],
    [{ TURN_URLS: 'stun:t.example.com', TURN_SECRET: SECRET }, /TURN_URLS/],
    [{ TURN_URLS: 'turn:t.example.com?transport=sctp', TURN_SECRET: SECRET }, /TURN_URLS/],
    [{ TURN_URLS: 'turn:user@t.example.com', TURN_SECRET: SECRET }, /TURN_URLS/],
    [{ TURN_URLS: 'turn:t.example.com' }, /TURN_URLS needs TURN_SECRET/],
    [{ TURN_URLS: 'turn:t.example.com', TURN_SECRET: 'short' }, /TURN_SECRET/],
    [{ TURN_URLS: 'turn:t.example.com', TURN_SECRET: 'has a space in the middle' }, /TURN_SECRET/],
    [{ TURN_SECRET: SECRET }, /TURN_SECRET is set but TURN_URLS/],
    [{ TURN_TTL_S: '4' }, /TURN_TTL_S/],
    [{ TURN_TTL_S: '86401' }, /TURN_TTL_S/],
    [{ TURN_TTL_S: '1h' }, /TURN_TTL_S/],
    [{ ICE_TRANSPORT_POLICY: 'none' }, /ICE_TRANSPORT_POLICY/],
    [{ ICE_TRANSPORT_POLICY: 'relay' }, /ICE_TRANSPORT_POLICY=relay needs TURN_URLS/],
    [{ ICE_TRANSPORT_POLICY: 'relay', STUN_URLS: 'stun:s.example.com' }, /needs TURN_URLS/],
  ])('refuses %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never repeats the secret in an error', () => {
    expect(() => loadConfig({ TURN_URLS: 'turn:t.example.com', TURN_SECRET: 'tiny-secret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('tiny-secret') }),
    );
  });
});

describe('config: TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-tls-'));
  const a = makeCertificate(dir, 'a');
  const b = makeCertificate(dir, 'b');

  it('is plain HTTP by default', () => {
    expect(loadConfig({}).tls).toBeNull();
  });

  it('reads a certificate and its key', () => {
    const tls = loadConfig({ TLS_CERT_FILE: a.certFile, TLS_KEY_FILE: a.keyFile }).tls;
    expect(tls?.cert.toString()).toBe(readFileSync(a.certFile, 'utf8'));
    expect(tls?.key.toString()).toBe(readFileSync(a.keyFile, 'utf8'));
  });

  it('wants both files, readable, PEM, and belonging together', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: a.certFile })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE/);
    expect(() => loadConfig({ TLS_KEY_FILE: a.keyFile })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE/);
    const missing = join(dir, 'missing.pem');
    expect(() => loadConfig({ TLS_CERT_FILE: missing, TLS_KEY_FILE: a.keyFile })).toThrow(
      /^TLS_CERT_FILE .*missing\.pem: cannot read it \(ENOENT\)/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE: a.certFile, TLS_KEY_FILE: dir })).toThrow(
      /^TLS_KEY_FILE .*: cannot read it \(EISDIR\)/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE: a.keyFile, TLS_KEY_FILE: a.keyFile })).toThrow(
      /^TLS_CERT_FILE .*not a PEM certificate/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE: a.certFile, TLS_KEY_FILE: a.certFile })).toThrow(
      /^TLS_KEY_FILE .*not an unencrypted PEM private key/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE: a.certFile, TLS_KEY_FILE: b.keyFile })).toThrow(
      /^TLS_KEY_FILE .*is not the key of the certificate/,
    );
  });
});

describe('passwords', () => {
  it('hashes with a salt and verifies in constant time', async () => {
    const a = await hashPassword('secret');
    const b = await hashPassword('secret');
    expect(a).toMatch(/^scrypt\$[^$]+\$[^$]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('secret', a)).toBe(true);
    expect(await verifyPassword('Secret', a)).toBe(false);
    expect(await verifyPassword('secret', 'scrypt$bad')).toBe(false);
  });
});

describe('abuse limits (issue 12)', () => {
  it('has defaults: own origins and localhost, quotas, metrics on 127.0.0.1:9464, memory bounds', () => {
    const config = loadConfig({});
    expect(config.origins).toEqual({ allowed: DEFAULT_ALLOWED_ORIGINS, requireOrigin: false });
    expect(config.origins.allowed).toContain('self');
    expect(config.quotas).toEqual(DEFAULT_QUOTAS);
    expect(config.metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(config.memory).toEqual(DEFAULT_MEMORY_LIMITS);
    // A replay of a full event log must fit in what one socket may have queued.
    expect(config.memory.outboundBufferMaxBytes).toBeGreaterThan(2 * config.memory.eventLogMaxBytes);
  });

  it('reads every variable, and a bad value stops the start naming it', () => {
    const config = loadConfig({
      ALLOWED_ORIGINS: 'https://meet.example.com,self',
      REQUIRE_ORIGIN: 'true',
      QUOTA_CHAT_BURST: '5',
      QUOTA_CHAT_PER_MIN: '10',
      QUOTA_SIGNAL_BURST: '3000',
      QUOTA_SIGNAL_PER_MIN: '36000',
      QUOTA_SIGNAL_BYTES_BURST: '2000000',
      QUOTA_SIGNAL_BYTES_PER_MIN: '30000000',
      QUOTA_CONTROL_BURST: '7',
      QUOTA_CONTROL_PER_MIN: '8',
      QUOTA_DISCONNECT_AFTER: '9',
      QUOTA_SLOW_READING_AFTER: '4',
      METRICS_PORT: '0',
      METRICS_HOST: '0.0.0.0',
      EVENT_LOG_MAX_EVENTS: '100',
      EVENT_LOG_MAX_BYTES: '100000',
      OUTBOUND_BUFFER_MAX_BYTES: '200000',
      MAX_SESSIONS_PER_ADDRESS: '50',
      MAX_CONFERENCES_PER_SESSION: '2',
    });
    expect(config.origins).toEqual({ allowed: ['https://meet.example.com', 'self'], requireOrigin: true });
    expect(config.quotas).toEqual({
      chat: { burst: 5, perMinute: 10 },
      signal: { burst: 3_000, perMinute: 36_000 },
      signalBytes: { burst: 2_000_000, perMinute: 30_000_000 },
      control: { burst: 7, perMinute: 8 },
      disconnectAfter: 9,
      slowReadingAfter: 4,
    });
    expect(config.metrics).toEqual({ port: 0, host: '0.0.0.0' });
    expect(config.memory).toEqual({
      eventLogMaxEvents: 100,
      eventLogMaxBytes: 100_000,
      outboundBufferMaxBytes: 200_000,
      sessionsPerAddress: 50,
      conferencesPerSession: 2,
    });
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'evil' })).toThrow(/ALLOWED_ORIGINS/);
    expect(() => loadConfig({ REQUIRE_ORIGIN: 'maybe' })).toThrow(/REQUIRE_ORIGIN/);
    expect(() => loadConfig({ QUOTA_CHAT_BURST: '0' })).toThrow(/QUOTA_CHAT_BURST/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ EVENT_LOG_MAX_BYTES: '10' })).toThrow(/EVENT_LOG_MAX_BYTES/);
  });
});

describe('RateLimiter', () => {
  it('allows `limit` hits per window per key, then says when to retry', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock, 1_000);
    expect(limiter.hit('a', 2)).toEqual({ ok: true });
    expect(limiter.hit('a', 2)).toEqual({ ok: true });
    clock.advance(400);
    expect(limiter.hit('a', 2)).toEqual({ ok: false, retryAfterMs: 600, first: true });
    expect(limiter.hit('a', 2)).toEqual({ ok: false, retryAfterMs: 600, first: false });
    expect(limiter.hit('b', 2)).toEqual({ ok: true });
    clock.advance(600);
    expect(limiter.hit('a', 2)).toEqual({ ok: true });
  });
});

describe('logger', () => {
  it('redacts tokens and passwords wherever they appear', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(l) });
    logger.info(
      { token: 'T1', resumeToken: 'T2', password: 'P1', req: { token: 'T3', body: { password: 'P2' } } },
      'x',
    );
    const text = lines.join('');
    for (const secret of ['T1', 'T2', 'T3', 'P1', 'P2']) expect(text).not.toContain(`"${secret}"`);
    expect(text).toContain('[redacted]');
  });

  it('redacts TURN credentials and secrets, also inside an ICE configuration', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(l) });
    const iceServers = [{ urls: ['stun:s'] }, { urls: ['turn:t'], username: '1:u', credential: 'C1' }];
    logger.info(
      { credential: 'C2', secret: 'S1', turn: { secret: 'S2' }, iceServers, reply: { iceServers } },
      'x',
    );
    const text = lines.join('');
    for (const secret of ['C1', 'C2', 'S1', 'S2']) expect(text).not.toContain(`"${secret}"`);
    expect(text).toContain('"username":"1:u"');
  });
});

describe('Quotas (token buckets)', () => {
  it('burst, refill at the rate, refusals cost nothing, reading paused then disconnect past the run, idle buckets swept', () => {
    const clock = new ManualClock(0);
    const quotas = new Quotas(clock, {
      ...DEFAULT_QUOTAS,
      chat: { burst: 2, perMinute: 600 },
      disconnectAfter: 3,
      slowReadingAfter: 2,
    });
    expect(quotas.take('u', 'chat')).toEqual({ ok: true });
    expect(quotas.take('u', 'chat')).toEqual({ ok: true });
    expect(quotas.take('u', 'chat')).toEqual({
      ok: false,
      retryAfterMs: 100,
      disconnect: false,
      pauseReadingMs: 0,
      first: true,
    });
    clock.advance(40);
    // The second refusal in a row: this sender ignores `retryAfterMs`, stop reading it till then.
    expect(quotas.take('u', 'chat')).toEqual({
      ok: false,
      retryAfterMs: 60,
      disconnect: false,
      pauseReadingMs: 60,
      first: false,
    });
    // Another session, another bucket; another kind, another bucket.
    expect(quotas.take('v', 'chat')).toEqual({ ok: true });
    expect(quotas.take('u', 'signal')).toEqual({ ok: true });
    expect(quotas.take('u', 'chat')).toMatchObject({ ok: false, disconnect: false });
    expect(quotas.take('u', 'chat')).toMatchObject({ ok: false, disconnect: true });
    clock.advance(60);
    expect(quotas.take('u', 'chat')).toEqual({ ok: true });
    // chat u, chat v, signal u and its byte bucket.
    expect(quotas.size).toBe(4);
    clock.advance(60_000);
    quotas.take('w', 'control');
    expect(quotas.size).toBe(1);
  });

  it('a signal spends one relay and its bytes, both or neither', () => {
    const clock = new ManualClock(0);
    const quotas = new Quotas(clock, {
      ...DEFAULT_QUOTAS,
      signal: { burst: 100, perMinute: 6_000 },
      signalBytes: { burst: 1_000, perMinute: 60_000 },
    });
    expect(quotas.take('u', 'signal', 600)).toEqual({ ok: true });
    // 400 bytes left: refused, 200 ms until 600 are back (1 000 bytes a second); nothing spent.
    expect(quotas.take('u', 'signal', 600)).toEqual({
      ok: false,
      retryAfterMs: 200,
      disconnect: false,
      pauseReadingMs: 0,
      first: true,
    });
    expect(quotas.take('u', 'signal', 400)).toEqual({ ok: true });
    clock.advance(600);
    expect(quotas.take('u', 'signal', 600)).toEqual({ ok: true });
    // Larger than the whole burst: passes once the bucket is full.
    clock.advance(1_000);
    expect(quotas.take('u', 'signal', 5_000)).toEqual({ ok: true });
    expect(quotas.take('u', 'signal', 1)).toMatchObject({ ok: false });
  });
});
