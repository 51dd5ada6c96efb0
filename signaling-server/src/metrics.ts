import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What `/metrics` shows (Prometheus text format, prom-client). Per process: in a Redis
 * deployment, sum over processes (every series here adds up across them).
 */
export class Metrics {
  readonly registry = new Registry();

  /** Every answered request, by event and result code name (TSDK_SUCCESS, RATE_LIMITED, …). */
  readonly requests = new Counter({
    name: 'signaling_requests_total',
    help: 'Requests answered, by event and result',
    labelNames: ['event', 'result'] as const,
    registers: [this.registry],
  });

  /** Handler time; for `resume` and `conf:resume` this is the server's share of resume latency. */
  readonly requestSeconds = new Histogram({
    name: 'signaling_request_duration_seconds',
    help: 'Time from a valid request to its answer, by event',
    labelNames: ['event'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /**
   * Server-side episodes: `held` when a seat's socket went away, then `resumed` (a conference
   * resume replaced it) or `timeout` (the window ran out and the seat was released).
   */
  readonly episodes = new Counter({
    name: 'signaling_episodes_total',
    help: 'Seats held for a resume, and how each ended',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly replayedEvents = new Counter({
    name: 'signaling_replayed_events_total',
    help: 'Conference events replayed to resuming participants',
    registers: [this.registry],
  });

  readonly replayUnavailable = new Counter({
    name: 'signaling_replay_unavailable_total',
    help: 'Conference resumes answered REPLAY_UNAVAILABLE (the client resyncs from a snapshot)',
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'signaling_rate_limited_total',
    help: 'Requests refused with RATE_LIMITED, by event',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly badInput = new Counter({
    name: 'signaling_bad_input_total',
    help: 'Inbound events refused before any handler ran, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly originRefused = new Counter({
    name: 'signaling_origin_refused_total',
    help: 'Handshakes refused (HTTP 403) for their Origin (not allowed, or absent with REQUIRE_ORIGIN)',
    registers: [this.registry],
  });

  readonly leaveBeacons = new Counter({
    name: 'signaling_leave_beacons_total',
    help: 'Leave beacons of closing pages (POST /leave), by result: left, rejected, rate-limited',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly readPauses = new Counter({
    name: 'signaling_read_pauses_total',
    help: 'Times the server stopped reading a socket that kept sending past its quota (QUOTA_SLOW_READING_AFTER)',
    registers: [this.registry],
  });

  readonly quotaDisconnects = new Counter({
    name: 'signaling_quota_disconnects_total',
    help: 'Sockets disconnected for sending far past a per-session quota, by quota',
    labelNames: ['quota'] as const,
    registers: [this.registry],
  });

  readonly slowReceivers = new Counter({
    name: 'signaling_slow_receivers_total',
    help: 'Sockets disconnected because they stopped reading (outbound buffer past its bound)',
    registers: [this.registry],
  });

  readonly addressLimited = new Counter({
    name: 'signaling_address_limited_total',
    help: 'Logins and resumes refused because their address holds too many sessions',
    registers: [this.registry],
  });

  constructor(options: { liveSessions: () => number; processMetrics?: boolean }) {
    new Gauge({
      name: 'signaling_live_sessions',
      help: 'Logged-in sockets on this process',
      registers: [this.registry],
      collect() {
        this.set(options.liveSessions());
      },
    });
    // Event-loop lag, RSS, GC: once per process (each call starts its own samplers).
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
