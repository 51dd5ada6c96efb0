/**
 * Builds the parts behind `MeetingClient` from its options and wires them to each other and to
 * the socket: who calls whom is read here, in one place.
 */
import { filter, map, type Observable } from 'rxjs';
import { resultCodeName, type SignalData, type TSDK_S_LOCAL_ADDRESS } from '../../../shared/src/index.ts';
import type { MeetingClientOptions } from './client-types.ts';
import { ConferenceChat } from './conference/conference-chat.ts';
import { ConferenceRoom } from './conference/conference-room.ts';
import { type Logger, silentLogger } from './logger.ts';
import { MeetingMedia } from './meeting-media.ts';
import { Notifier } from './notifier.ts';
import { socketAnswers } from './requests.ts';
import { ResumeWiring } from './resume-wiring.ts';
import { LoginSession } from './session/login-session.ts';
import { ServerIceServers } from './session/server-ice-servers.ts';
import { ReplyDeadline } from './signal/reply-deadline.ts';
import { SignalClient } from './signal/signal-client.ts';

/**
 * Deciding whose a media outage is: a ping our socket does not answer within its reply deadline
 * (reply-deadline.ts: this socket's own round trips, 300 ms at least, 2 s at most) counts as dead.
 */
const STALL_PING = { floorMs: 300, ceilingMs: 2_000 };

export interface ClientParts {
  logger: Logger;
  notifier: Notifier;
  signal: SignalClient;
  login: LoginSession;
  chat: ConferenceChat;
  room: ConferenceRoom;
  media: MeetingMedia;
  resume: ResumeWiring;
  socketDisconnects$: Observable<string>;
}

export interface ClientHooks {
  /** Every `TSDK_E_CONFIG_LOCAL_ADDRESS` the app sets. */
  localAddress$: Observable<TSDK_S_LOCAL_ADDRESS>;
  /** Throws INVALID_STATE once the client is closed. */
  assertOpen(method: string): void;
  closed(): boolean;
}

export function assembleClient(options: MeetingClientOptions, hooks: ClientHooks): ClientParts {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const notifier = new Notifier(now, logger);
  const timeout = options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs };
  const resumeOptions = options.resume ?? {};
  const scheduler = resumeOptions.scheduler;
  const environment =
    options.environment === null
      ? {}
      : (options.environment ?? (typeof window === 'undefined' ? {} : { window, navigator }));
  const signal = new SignalClient({
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.createSocket ? { createSocket: options.createSocket } : {}),
  });
  // The parts refer to each other through these late-bound names (each is set below, before use).
  let room: ConferenceRoom;
  let resume: ResumeWiring;
  // Relays and pings are the server's cheapest replies: their round trips measure the path.
  const replyDeadline = new ReplyDeadline(STALL_PING);
  let socketConnectedAt = Number.NEGATIVE_INFINITY;
  signal.connected$.pipe(filter(Boolean)).subscribe(() => {
    replyDeadline.reset();
    socketConnectedAt = now();
  });
  const sendSignal = (to: number, data: SignalData): void => {
    const from = media.mesh.localHandle;
    if (from === null || hooks.closed()) return;
    const sentAt = now();
    signal.request('signal', { from, to, data }, timeout).then(
      (reply) => {
        replyDeadline.sample(now() - sentAt);
        if (reply.code !== 0) logger.warn('signal refused', resultCodeName(reply.code), reply.message);
      },
      (err) => logger.debug('signal not delivered', err),
    );
  };
  const resumeState = () => resume.state;
  const media = new MeetingMedia({
    options,
    sendSignal,
    socketAlive: async (patient) => {
      const sentAt = now();
      const alive = await socketAnswers(signal, patient ? STALL_PING.ceilingMs : replyDeadline.ms);
      if (alive) replyDeadline.sample(now() - sentAt);
      return alive;
    },
    socketConnectedAt: () => socketConnectedAt,
    resumeState,
    inConference: () => room.view !== null,
    away: (userId) => room.view?.roster.find((p) => p.userId === userId)?.status === 'reconnecting',
    environment,
    localAddress$: hooks.localAddress$,
    now,
    scheduler,
  });
  const mesh = media.mesh;
  // An app that passes its own ICE servers keeps them for good.
  const iceServers =
    options.iceServers !== undefined
      ? null
      : new ServerIceServers({
          signal,
          apply: (servers, policy) => mesh.setIceConfig(servers, policy),
          now,
          scheduler,
          timeout,
          logger,
        });
  const onIceServersRenewed = () => media.recovery.iceConfigChanged();
  const login = new LoginSession({ signal, notifier, timeout, iceServers, onIceServersRenewed });
  const chat = new ConferenceChat({ signal, timeout, scheduler, sendingHandle: () => room.settledHandle });
  const me = () => login.session?.userId;
  room = new ConferenceRoom({ signal, notifier, timeout, chat, media, me, resumeState });
  const socketDisconnects$ = signal.disconnect$.pipe(map((d) => d.reason));
  resume = new ResumeWiring({
    signal,
    login,
    room,
    media,
    notifier,
    logger,
    options: resumeOptions,
    environment,
    socketDisconnects$,
    localAddress$: hooks.localAddress$,
    assertOpen: () => hooks.assertOpen('resumeLogin'),
  });
  signal.confEvents$.subscribe((e) => room.onEvent(e));
  signal.signals$.subscribe((d) => mesh.handleSignal(d.from, d.data));
  signal.ended$.subscribe(({ handle, code, message }) => {
    if (room.view?.handle === handle) room.ended(code, message);
  });
  return { logger, notifier, signal, login, chat, room, media, resume, socketDisconnects$ };
}
