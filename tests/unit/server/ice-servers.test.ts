import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { defaultConfig } from '../../../signaling-server/src/config.ts';
import { iceConfigFor, turnCredential } from '../../../signaling-server/src/ice-servers.ts';

const SECRET = 'north-wind-secret-0123456789';

describe('turnCredential', () => {
  it('matches coturn REST credentials computed independently', () => {
    // echo -n "1700003600:user-1" | openssl dgst -sha1 -hmac "north-wind-secret-0123456789" -binary | base64
    expect(turnCredential(SECRET, 'user-1', 1_700_003_600)).toEqual({
      username: '1700003600:user-1',
      credential: 'AWyghpO6QuBPRSHQZhkYPQxRpDA=',
    });
  });
});

describe('iceConfigFor', () => {
  const turnAndStun = defaultConfig({
    ice: {
      stunUrls: ['stun:stun.example.com:3478'],
      turn: {
        urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443?transport=tcp'],
        secret: SECRET,
        ttlS: 3_600,
      },
    },
  }).ice;

  it('gives STUN without credentials and TURN with a credential that expires TTL from the clock', () => {
    const clock = new ManualClock(1_700_000_000_250);
    expect(iceConfigFor(turnAndStun, 'user-1', clock)).toEqual({
      iceServers: [
        { urls: ['stun:stun.example.com:3478'] },
        {
          urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443?transport=tcp'],
          username: '1700003600:user-1',
          credential: 'AWyghpO6QuBPRSHQZhkYPQxRpDA=',
        },
      ],
    });
  });

  it('issues a later expiry as the clock moves, and one per user', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const first = iceConfigFor(turnAndStun, 'user-1', clock).iceServers[1];
    clock.advance(90_000);
    const later = iceConfigFor(turnAndStun, 'user-1', clock).iceServers[1];
    const other = iceConfigFor(turnAndStun, 'user-2', clock).iceServers[1];
    expect(later?.username).toBe('1700003690:user-1');
    expect(later?.credential).not.toBe(first?.credential);
    expect(other?.username).toBe('1700003690:user-2');
    expect(other?.credential).not.toBe(later?.credential);
  });

  it('is empty with nothing configured, STUN only without TURN, and names the policy only for relay', () => {
    const clock = new ManualClock();
    expect(iceConfigFor(defaultConfig().ice, 'u', clock)).toEqual({ iceServers: [] });
    const stunOnly = defaultConfig({ ice: { stunUrls: ['stun:a.example.com', 'stun:b.example.com'] } }).ice;
    expect(iceConfigFor(stunOnly, 'u', clock)).toEqual({
      iceServers: [{ urls: ['stun:a.example.com', 'stun:b.example.com'] }],
    });
    const relay = iceConfigFor({ ...turnAndStun, policy: 'relay' }, 'u', clock);
    expect(relay.iceTransportPolicy).toBe('relay');
    expect(iceConfigFor(turnAndStun, 'u', clock)).not.toHaveProperty('iceTransportPolicy');
  });

  it('hands out copies: a caller cannot change the configuration', () => {
    const clock = new ManualClock();
    const issued = iceConfigFor(turnAndStun, 'u', clock);
    const urls = issued.iceServers[0]?.urls;
    if (!Array.isArray(urls)) throw new Error('expected a list of STUN URLs');
    urls.push('stun:evil.example.com');
    expect(turnAndStun.stunUrls).toEqual(['stun:stun.example.com:3478']);
  });
});
