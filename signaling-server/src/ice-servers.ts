import { createHmac } from 'node:crypto';
import type { IceConfig, IceServer } from '../../shared/src/protocol.ts';
import type { Clock } from './clock.ts';
import type { IceSettings } from './config.ts';

export interface TurnCredential {
  /** `<unix expiry seconds>:<userId>`: coturn reads the expiry from it, and counts user-quota per userId. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)) */
  credential: string;
}

/**
 * A TURN REST credential as coturn's `use-auth-secret` checks it: no shared state with the TURN
 * server beyond the secret, so any signaling process can issue one and none has to be revoked.
 */
export function turnCredential(secret: string, userId: string, expiresAtS: number): TurnCredential {
  const username = `${expiresAtS}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/**
 * The ICE configuration for one login or resume of `userId` (spec §10). Called on every one, so a
 * resumed client restarts ICE with a credential that is fresh, whatever the age of its session.
 */
export function iceConfigFor(settings: IceSettings, userId: string, clock: Clock): IceConfig {
  const iceServers: IceServer[] = [];
  if (settings.stunUrls.length > 0) iceServers.push({ urls: [...settings.stunUrls] });
  if (settings.turn) {
    const expiresAtS = Math.floor(clock.now() / 1_000) + settings.turn.ttlS;
    iceServers.push({
      urls: [...settings.turn.urls],
      ...turnCredential(settings.turn.secret, userId, expiresAtS),
    });
  }
  return settings.policy === 'relay' ? { iceServers, iceTransportPolicy: 'relay' } : { iceServers };
}
