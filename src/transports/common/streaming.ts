import type { FastifyReply } from 'fastify';
import type { AuthContext, DittoHeaders } from '../../signals/index.ts';

/** Counters of the streaming transports (WebSocket sessions and SSE streams) for metrics and tests. */
export class StreamingMetrics {
  webSocketSessions = 0;
  sseStreams = 0;
  /** Notifications written to a subscriber's socket. */
  delivered = 0;
  /** Notifications dropped because the subscriber did not keep up (see SlowConsumerGuard). */
  dropped = 0;

  snapshot(): { webSocketSessions: number; sseStreams: number; delivered: number; dropped: number } {
    return { webSocketSessions: this.webSocketSessions, sseStreams: this.sseStreams, delivered: this.delivered, dropped: this.dropped };
  }
}

const WARN_EVERY_MS = 10_000;

/**
 * The slow-consumer policy (docs/websocket.md "Backpressure"): a notification is written only
 * while the subscriber's unsent backlog (the bytes its socket still holds) is below the bound;
 * beyond it the notification is dropped and counted, like Ditto's bounded publisher buffer, and
 * the subscriber stays connected. Nothing in the fan-out ever waits for a socket, so one slow
 * subscriber costs the others nothing. A warning is logged at most every ten seconds per
 * subscriber, with the number dropped since the last one.
 */
export class SlowConsumerGuard {
  private droppedSinceWarning = 0;
  private lastWarningMs = 0;

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly metrics: StreamingMetrics,
    private readonly warn: (dropped: number) => void,
  ) {}

  /** Whether a notification may be written while `bufferedBytes` wait to be sent. */
  admit(bufferedBytes: number): boolean {
    if (bufferedBytes < this.maxBufferedBytes) {
      this.metrics.delivered++;
      return true;
    }
    this.metrics.dropped++;
    this.droppedSinceWarning++;
    const now = Date.now();
    if (now - this.lastWarningMs >= WARN_EVERY_MS) {
      this.lastWarningMs = now;
      this.warn(this.droppedSinceWarning);
      this.droppedSinceWarning = 0;
    }
    return false;
  }
}

/**
 * [ditto: ThingsSseRouteBuilder.matchesTextEventStream] SSE is chosen when some media range of
 * the Accept header, other than `*` + `/` + `*`, matches `text/event-stream`.
 */
export function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const part of accept.split(',')) {
    const range = (part.split(';')[0] ?? '').trim().toLowerCase();
    const slash = range.indexOf('/');
    if (slash < 0) continue;
    const main = range.slice(0, slash);
    const sub = range.slice(slash + 1);
    if (main === 'text' && (sub === 'event-stream' || sub === '*')) return true;
  }
  return false;
}

/** What the HTTP transport hands the SSE transport for a request that asks for an event stream. */
export interface EventStreamRequest {
  /** Decoded path segments after `/api/2/`. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly headers: DittoHeaders;
  readonly auth: AuthContext;
}

/** Answers an event-stream request; a DittoError thrown before the stream opens becomes the HTTP error. */
export type EventStreamHandler = (req: EventStreamRequest, reply: FastifyReply) => FastifyReply;
