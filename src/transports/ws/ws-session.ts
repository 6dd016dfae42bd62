import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { DittoError, isDittoError } from '../../model/errors/index.ts';
import { thingEventToText, tryParseEnvelope } from '../../protocol/index.ts';
import {
  compileSubscription, type AnnouncementHub, type EventNotification, type EventSubscriber, type EventSubscription, type NotificationHub,
} from '../../services/notifications/index.ts';
import type { SignalRouter } from '../../services/signal-router.ts';
import type { AuthContext, DittoHeaders } from '../../signals/index.ts';
import type { Authenticator } from '../common/authentication.ts';
import { KeyedQueue } from '../../services/common/lru-cache.ts';
import { errorText, prepareProtocolMessage, type ProtocolClient, type ProtocolDispatchConfig } from '../common/protocol-dispatch.ts';
import { SearchSubscriptions, type SearchSubscriptionsConfig } from '../common/search-subscriptions.ts';
import { SlowConsumerGuard, type StreamingMetrics } from '../common/streaming.ts';
import { SessionAnnouncements } from './ws-announcements.ts';
import { ackFor, parseControlMessage, type ControlMessage, type StreamingType } from './control-messages.ts';
import { WsLive } from './ws-live.ts';
import type { LiveHub } from '../../services/live/index.ts';

export interface WebSocketConfig {
  /** Larger frames close the socket with 1009. */
  readonly maxMessageBytes: number;
  /** Backlog per session beyond which notifications are dropped (SlowConsumerGuard). */
  readonly maxBufferedBytes: number;
  /** Ping a session idle this long; close it when the next ping is due and no pong came. */
  readonly pingIntervalMs: number;
  /** Commands a session may have in flight before its frames are no longer read. */
  readonly maxInFlightCommands: number;
  /** [ditto: gateway.conf streaming.websocket.throttling] Incoming frames per interval; disabled by default. */
  readonly throttling: { readonly enabled: boolean; readonly limit: number; readonly intervalMs: number };
  readonly protocol: ProtocolDispatchConfig;
  /** The search protocol's subscriptions per session. */
  readonly search: SearchSubscriptionsConfig;
  /** How long live commands and messages sent over the socket wait for a response without a timeout header. */
  readonly liveTimeoutMs?: number;
  /** Largest message payload sent over the socket (larger ones answer 413); 250 kB by default. */
  readonly maxMessagePayloadBytes?: number;
}

export interface WebSocketDeps {
  readonly router: SignalRouter;
  readonly hub: NotificationHub;
  /** Policy announcements (subjectDeletion); sessions get none without it. */
  readonly announcements?: AnnouncementHub;
  /** The live channel (messages, live commands and events, acknowledgements); without it live traffic is refused. */
  readonly live?: LiveHub;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly uuid: () => string;
  readonly metrics: StreamingMetrics;
  readonly config: WebSocketConfig;
}

export interface SessionInit {
  readonly auth: AuthContext;
  /** When the JWT the session was opened with expires. */
  readonly expiresAtMs: number | undefined;
  readonly correlationId: string;
  /** [ditto: declared-acks] The acknowledgement labels the session issues. */
  readonly declaredAcks?: readonly string[];
}

/** [ditto: StreamingSessionActor MAX_SESSION_TIMEOUT] Tokens valid longer than this keep the session open for good. */
const MAX_SESSION_MS = 100 * 24 * 3600 * 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** [ditto: gateway.conf throttling-rejection-factor] */
const REJECTION_FACTOR = 1.25;
const ERROR_TOPIC = { namespace: '_', name: '_', group: 'things', channel: 'twin' } as const;

/**
 * One WebSocket session: Ditto Protocol commands in, responses and subscribed notifications out
 * ([ditto: httpapi-protocol-bindings-websocket]). Commands run concurrently and are answered as
 * they complete; responses are never dropped, but a session that stops reading them, or has too
 * many commands in flight, is no longer read from until it catches up.
 */
export class WsSession {
  readonly origin: string;
  readonly correlationId: string;
  private readonly subjects: readonly string[];
  private readonly subscriptions = new Map<StreamingType, EventSubscription>();
  private events: EventSubscriber | undefined;
  private readonly announcements: SessionAnnouncements | undefined;
  private readonly guard: SlowConsumerGuard;
  private readonly client: ProtocolClient;
  private readonly searches: SearchSubscriptions;
  private readonly live: WsLive | undefined;
  /** Aborted when the session ends: what it still waits for (live responses, acknowledgements) is freed. */
  private readonly gone = new AbortController();
  private readonly log: Logger;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Signals for one entity run in the order they came. */
  private readonly order = new KeyedQueue();
  private inFlight = 0;
  private windowStart = 0;
  private windowCount = 0;
  private closed = false;
  /** Something went in or out since the last keep-alive tick. */
  private active = true;
  private idleMs = 0;
  private awaitingPong = false;

  constructor(
    private readonly ws: WebSocket,
    init: SessionInit,
    private readonly deps: WebSocketDeps,
    private readonly onClosed: (session: WsSession) => void,
  ) {
    this.origin = deps.uuid();
    this.correlationId = init.correlationId;
    this.subjects = Object.freeze([...init.auth.subjects]);
    this.log = deps.logger.child({ session: this.correlationId });
    this.guard = new SlowConsumerGuard(deps.config.maxBufferedBytes, deps.metrics, (dropped) =>
      this.log.warn({ dropped, bufferedBytes: this.ws.bufferedAmount }, 'WebSocket subscriber is too slow; notifications dropped'));
    this.searches = new SearchSubscriptions({
      router: deps.router,
      auth: { subjects: this.subjects },
      uuid: deps.uuid,
      send: (text) => this.sendAndWait(text),
      onUnexpected: (err) => this.log.error({ err }, 'search subscription failed'),
      config: deps.config.search,
    });
    this.live = deps.live === undefined ? undefined : new WsLive(this.origin, { subjects: this.subjects }, new Set(init.declaredAcks ?? []), {
      hub: deps.live,
      router: deps.router,
      defaultTimeoutMs: deps.config.liveTimeoutMs ?? 10_000,
      maxMessagePayloadBytes: deps.config.maxMessagePayloadBytes ?? 256_000,
      gone: this.gone.signal,
    }, (text) => this.writeLive(text));
    this.client = {
      auth: { subjects: this.subjects },
      origin: this.origin,
      correlationId: this.correlationId,
      newCorrelationId: deps.uuid,
      onUnexpected: (err) => this.log.error({ err }, 'protocol message failed'),
      search: (signal) => this.searches.handle(signal),
      gone: this.gone.signal,
      ...(this.live === undefined ? {} : { live: this.live }),
    };
    this.announcements = deps.announcements === undefined ? undefined : new SessionAnnouncements(deps.announcements, this.subjects, (t) => this.sendNow(t));
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('pong', () => this.alive());
    ws.on('error', (err) => this.log.debug({ err }, 'WebSocket error'));
    ws.once('close', () => this.cleanUp());
    this.scheduleExpiry(init.expiresAtMs);
  }

  /** Called by the endpoint every third of the ping interval. */
  keepAliveTick(tickMs: number): void {
    if (this.closed) return;
    if (this.active) {
      this.active = false;
      this.idleMs = 0;
      return;
    }
    this.idleMs += tickMs;
    if (this.awaitingPong && this.idleMs >= 2 * this.deps.config.pingIntervalMs) {
      this.ws.terminate();
    } else if (!this.awaitingPong && this.idleMs >= this.deps.config.pingIntervalMs) {
      this.awaitingPong = true;
      this.ws.ping();
    }
  }

  /** Ends the session with a Ditto error envelope and a close frame (code 1000, the error code as reason). */
  end(error: DittoError, code = 1000): void {
    if (this.closed) return;
    this.sendNow(errorText(error, ERROR_TOPIC, { 'correlation-id': this.correlationId }));
    this.ws.close(code, error.error);
    this.cleanUp();
  }

  /**
   * [ditto: StreamingSessionActor declared-acks] Takes the session's declared labels; when another
   * subscriber holds one, the session ends with 409 `acknowledgement:label.not.unique`.
   */
  declareAcks(): void {
    try {
      this.live?.declare();
    } catch (e) {
      if (!isDittoError(e)) throw e;
      this.end(e);
    }
  }

  /** Cuts the connection without a closing handshake (shutdown stragglers). */
  terminate(): void {
    this.ws.terminate();
    this.cleanUp();
  }

  private alive(): void {
    this.active = true;
    this.awaitingPong = false;
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    this.alive();
    // [ditto: WebSocketRoute.getStrictifyFlow] only text frames are processed.
    if (isBinary || this.closed) return;
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    try {
      if (this.throttled(text)) return;
      const control = parseControlMessage(text);
      if (control !== undefined) this.onControl(control);
      else this.onProtocolMessage(text);
    } catch (err) {
      this.log.error({ err }, 'WebSocket frame failed');
      this.sendNow(errorText(new DittoError('internalerror'), ERROR_TOPIC, { 'correlation-id': this.correlationId }));
    }
  }

  /** [ditto: WebSocketRoute.getRateLimiter] Beyond the limit (times 1.25) frames are answered with 429. */
  private throttled(text: string): boolean {
    const t = this.deps.config.throttling;
    if (!t.enabled) return false;
    const now = Date.now();
    if (now - this.windowStart >= t.intervalMs) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount <= Math.max(t.limit, Math.floor(t.limit * REJECTION_FACTOR))) return false;
    const parsed = tryParseEnvelope(text);
    const headers: DittoHeaders = 'envelope' in parsed ? parsed.envelope.headers : parsed.headers;
    const retryAfter = String(Math.max(1, Math.ceil(t.intervalMs / 1000)));
    const error = new DittoError('too.many.requests', {}, { headers: { 'retry-after': retryAfter } });
    this.sendNow(errorText(error, ERROR_TOPIC, { ...headers, 'correlation-id': headers['correlation-id'] ?? this.correlationId }));
    return true;
  }

  private onProtocolMessage(text: string): void {
    if (this.announcements?.tryAcknowledge(text) === true) return;
    const prepared = prepareProtocolMessage(text, this.client, this.deps.router, this.deps.config.protocol);
    if (prepared.kind === 'answer') {
      if (prepared.answer !== undefined) this.sendNow(prepared.answer);
      return;
    }
    this.inFlight++;
    this.updateFlow();
    this.order
      .run(prepared.entity, prepared.execute)
      .then((answer) => {
        if (answer !== undefined) this.sendNow(answer);
      })
      .catch((err: unknown) => this.log.error({ err }, 'protocol message failed'))
      .finally(() => {
        this.inFlight--;
        this.updateFlow();
      });
  }

  private onControl(control: ControlMessage): void {
    if (control.kind === 'jwt') {
      this.refresh(control.token).catch((err: unknown) => this.log.error({ err }, 'JWT refresh failed'));
      return;
    }
    if (control.kind === 'stop') {
      this.subscriptions.delete(control.type);
      if (control.type === 'events') this.stopEvents();
      if (control.type === 'policyAnnouncements') this.announcements?.stop();
      if (isLiveStream(control.type)) this.live?.stop(control.type);
      this.sendNow(ackFor(control.type, false));
      return;
    }
    const params = control.params;
    let subscription: EventSubscription;
    try {
      // [ditto: httpapi-protocol-bindings-websocket filtering] every type takes namespaces and
      // extraFields; filters are applied as Ditto's session does, also where its docs say otherwise.
      subscription = compileSubscription({ namespaces: params.get('namespaces'), filter: params.get('filter'), extraFields: params.get('extraFields') }, 'websocket');
    } catch (e) {
      if (!isDittoError(e)) throw e;
      // [ditto: StreamingSessionActor StartStreaming] an invalid subscription is answered with the error, not the ACK.
      this.sendNow(errorText(e, ERROR_TOPIC, { 'correlation-id': params.get('correlation-id') ?? this.correlationId }));
      return;
    }
    this.subscriptions.set(control.type, subscription);
    if (control.type === 'events') this.startEvents(subscription);
    if (control.type === 'policyAnnouncements') this.announcements?.start(subscription.namespaces);
    if (isLiveStream(control.type)) this.live?.start(control.type, subscription);
    this.sendNow(ackFor(control.type, true));
  }

  private startEvents(subscription: EventSubscription): void {
    this.stopEvents();
    const subscriber: EventSubscriber = {
      subjects: this.subjects,
      subscription,
      origin: this.origin,
      deliver: (n) => this.deliver(n),
    };
    this.events = subscriber;
    this.deps.hub.subscribe(subscriber);
  }

  private stopEvents(): void {
    if (this.events !== undefined) this.deps.hub.unsubscribe(this.events);
    this.events = undefined;
  }

  /** Runs inside the fan-out: renders (once per distinct view) and writes, or drops. Never waits. */
  private deliver(n: EventNotification): void {
    if (this.closed || !this.guard.admit(this.ws.bufferedAmount)) return;
    this.active = true;
    this.ws.send(n.rendered('ws', renderProtocolEvent), { binary: false });
    this.live?.noteEvent(n);
  }

  /** A live signal for this session: written, or dropped when the session is too far behind. */
  private writeLive(text: string): boolean {
    if (this.closed || !this.guard.admit(this.ws.bufferedAmount)) return false;
    this.active = true;
    this.ws.send(text, { binary: false });
    return true;
  }

  /**
   * [ditto: StreamingSessionActor.refreshWebSocketSession] A valid token for the same subjects
   * extends the session to its expiry; other subjects or an invalid token end the session.
   */
  private async refresh(token: string): Promise<void> {
    let verified;
    try {
      verified = await this.deps.authenticator.authenticateToken(token);
    } catch (e) {
      if (!isDittoError(e)) throw e;
      this.end(new DittoError('gateway:websocket.session.closed'));
      return;
    }
    if (!sameSubjects(verified.auth.subjects, this.subjects)) {
      this.end(new DittoError('gateway:websocket.session.closed'));
      return;
    }
    this.scheduleExpiry(verified.expiresAtMs);
  }

  private scheduleExpiry(expiresAtMs: number | undefined): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (expiresAtMs === undefined || this.closed) return;
    const left = expiresAtMs - Date.now();
    if (left > MAX_SESSION_MS) return;
    if (left <= 0) {
      this.end(new DittoError('gateway:websocket.session.expired'));
      return;
    }
    this.expiryTimer = setTimeout(() => this.scheduleExpiry(expiresAtMs), Math.min(left, MAX_TIMER_MS));
  }

  /** Responses, errors and ACKs: never dropped. */
  private sendNow(text: string): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.active = true;
    this.ws.send(text, () => this.updateFlow());
    this.updateFlow();
  }

  /** Like sendNow; resolves once the socket has taken the frame (search pages wait for it). */
  private sendAndWait(text: string): Promise<void> {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    this.active = true;
    return new Promise((resolve) => {
      this.ws.send(text, () => {
        this.updateFlow();
        resolve();
      });
      this.updateFlow();
    });
  }

  /** Stops reading frames while too many commands run or the client does not read its answers. */
  private updateFlow(): void {
    if (this.closed) return;
    const config = this.deps.config;
    const hold = this.inFlight >= config.maxInFlightCommands || this.ws.bufferedAmount >= 4 * config.maxBufferedBytes;
    if (hold && !this.ws.isPaused) this.ws.pause();
    else if (!hold && this.ws.isPaused) this.ws.resume();
  }

  private cleanUp(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopEvents();
    this.announcements?.stop();
    this.searches.close();
    this.live?.close();
    this.gone.abort();
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.onClosed(this);
  }
}

function renderProtocolEvent(n: EventNotification): Buffer {
  const override = {
    ...(n.value === n.event.value ? {} : n.value === undefined ? {} : { value: n.value }),
    ...(n.extra === undefined ? {} : { extra: n.extra }),
  };
  return Buffer.from(thingEventToText(n.event, 'twin', override));
}

function isLiveStream(type: StreamingType): type is 'messages' | 'liveCommands' | 'liveEvents' {
  return type === 'messages' || type === 'liveCommands' || type === 'liveEvents';
}

function sameSubjects(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((s) => y.has(s));
}
