import { DittoError } from '../../model/errors/index.ts';
import {
  acksFromEnvelope, acksToEnvelope, ackToEnvelope, BUILT_IN_LABELS, envelopeToText, errorResponseFor, errorResponseToEnvelope, LIVE_RESPONSE,
  parseRequestedAcks, topicEntityId, type Envelope,
} from '../../protocol/index.ts';
import { REPLY_HEADER, ReplyRoutes, timeoutOf, type AckDeclarer, type LiveDelivery, type LiveHub, type LiveOutcome, type LiveStream, type LiveSubscriber } from '../../services/live/index.ts';
import type { EventNotification, EventSubscription } from '../../services/notifications/index.ts';
import type { SignalRouter } from '../../services/signal-router.ts';
import type { AuthContext } from '../../signals/index.ts';
import { checkPayloadSize, valueToPayload } from '../common/message-payload.ts';
import type { ProtocolAnswer } from '../common/protocol-dispatch.ts';

/** Answers a session routes back at once; beyond it the oldest route is forgotten. */
const MAX_ROUTES = 10_000;
/** [ditto: basic-acknowledgements] How long acknowledgements of a twin event are routed when it names no timeout. */
const ACK_TIMEOUT_MS = 60_000;

export interface WsLiveDeps {
  readonly hub: LiveHub;
  readonly router: SignalRouter;
  readonly defaultTimeoutMs: number;
  /** [ditto: ditto-limits.conf messages max-size] Largest message payload, as over HTTP. */
  readonly maxMessagePayloadBytes: number;
  /** Aborted when the session closes: its live requests stop waiting. */
  readonly gone: AbortSignal;
}

/**
 * The live channel of one WebSocket session ([ditto: httpapi-protocol-bindings-websocket,
 * protocol-twinlive, basic-acknowledgements]): its subscriptions to messages, live commands and
 * live events; the labels it declared; live commands, messages and events it sends; and the
 * responses and acknowledgements it issues, routed to whoever waits for them.
 */
export class WsLive implements AckDeclarer {
  private readonly subscribers = new Map<LiveStream, LiveSubscriber>();
  private readonly routes = new ReplyRoutes(MAX_ROUTES);

  constructor(
    readonly origin: string,
    private readonly auth: AuthContext,
    private readonly declared: ReadonlySet<string>,
    private readonly deps: WsLiveDeps,
    /** Writes a live signal unless the session is too far behind (it is then dropped). */
    private readonly write: (text: string) => boolean,
  ) {}

  /** Takes the declared labels; 409 when another subscriber holds one. */
  declare(): void {
    if (this.declared.size > 0) this.deps.hub.declare(this, [...this.declared]);
  }

  start(stream: LiveStream, subscription: EventSubscription): void {
    this.stop(stream);
    const subscriber: LiveSubscriber = { subjects: this.auth.subjects, origin: this.origin, subscription, deliver: (d) => this.deliver(d) };
    this.subscribers.set(stream, subscriber);
    this.deps.hub.subscribe(stream, subscriber);
  }

  stop(stream: LiveStream): void {
    const s = this.subscribers.get(stream);
    if (s !== undefined) this.deps.hub.unsubscribe(stream, s);
    this.subscribers.delete(stream);
  }

  close(): void {
    for (const stream of [...this.subscribers.keys()]) this.stop(stream);
    this.deps.hub.undeclare(this);
  }

  /** A twin event this session got: acknowledgements it issues for its declared labels go where the event says. */
  noteEvent(n: EventNotification): void {
    const headers = n.event.headers;
    const replyTo = headers?.[REPLY_HEADER];
    const requested = headers?.['requested-acks'];
    const correlationId = headers?.['correlation-id'];
    if (replyTo === undefined || requested === undefined || correlationId === undefined || this.declared.size === 0) return;
    if (this.issuesAcksFor(headers ?? {})) this.routes.remember(correlationId, replyTo, timeoutOf(headers ?? {}, ACK_TIMEOUT_MS));
  }

  /** Whether a signal requests a label this session declared (it then may acknowledge the signal). */
  private issuesAcksFor(headers: Readonly<Record<string, string>>): boolean {
    const requested = headers['requested-acks'];
    if (requested === undefined || this.declared.size === 0) return false;
    try {
      return parseRequestedAcks(requested).some((l) => this.declared.has(l));
    } catch {
      return false;
    }
  }

  /** Whether a message from the client is live traffic: live commands, events, messages, their answers, acknowledgements. */
  handles(env: Envelope): boolean {
    const t = env.topic;
    return t.group === 'things' && (t.channel === 'live' || t.criterion === 'acks' || t.criterion === 'messages');
  }

  isAnswer(env: Envelope): boolean {
    return env.topic.criterion === 'acks' || env.topic.criterion === 'errors' || env.status !== undefined;
  }

  /** A response, live error or acknowledgements from this session's device, routed to whoever waits. */
  answer(env: Envelope): void {
    if (env.topic.criterion === 'acks') {
      this.issueAcks(env);
      return;
    }
    // A device's response to a message is held to the message size limit too.
    if (env.topic.criterion === 'messages') this.checkMessageSize(env);
    checkFinalStatus(env.status);
    this.respond(env);
  }

  private checkMessageSize(env: Envelope): void {
    checkPayloadSize(valueToPayload(env.value, env.headers['content-type']).length, this.deps.maxMessagePayloadBytes);
  }

  async handle(env: Envelope): Promise<ProtocolAnswer> {
    const t = env.topic;
    const respond = env.headers['response-required'] !== 'false';
    // A message is held to the size HTTP holds it to.
    if (t.criterion === 'messages') this.checkMessageSize(env);
    if (this.isAnswer(env)) {
      this.answer(env);
      return undefined;
    }
    if (t.criterion === 'events') {
      await this.deps.router.dispatchLiveEvent(env, this.auth);
      return undefined;
    }
    if (t.criterion !== 'commands' && t.criterion !== 'messages') {
      throw new DittoError('protocoladapter:unknown.topicpath', { topic: t.criterion, reason: 'Not a live signal.' });
    }
    const timeoutMs = timeoutOf(env.headers, this.deps.defaultTimeoutMs);
    const outcome = await this.deps.router.dispatchLive({ envelope: env, auth: this.auth, timeoutMs, signal: this.deps.gone });
    return respond ? outcomeText(env, outcome, timeoutMs) : undefined;
  }

  private deliver(d: LiveDelivery): void {
    if (!this.write(d.text())) return;
    const correlationId = d.envelope.headers['correlation-id'];
    if (d.replyTo !== undefined && correlationId !== undefined) this.routes.remember(correlationId, d.replyTo, d.timeoutMs, this.issuesAcksFor(d.envelope.headers));
  }

  /** A live response (or error) from this session's device: the first one goes back to the requester. */
  private respond(env: Envelope): void {
    const correlationId = env.headers['correlation-id'];
    const replyTo = correlationId === undefined ? undefined : this.routes.lookup(correlationId, true);
    if (replyTo !== undefined) this.deps.router.replyLive(replyTo, env);
  }

  /**
   * [ditto: StreamingSessionActor acknowledgements] Only declared, non-built-in labels may be
   * issued; an acknowledgement nobody waits for is dropped.
   */
  private issueAcks(env: Envelope): void {
    const acks = acksFromEnvelope(env);
    for (const ack of acks) {
      checkFinalStatus(ack.status);
      if (BUILT_IN_LABELS.has(ack.label)) throw new DittoError('acknowledgement:ditto.acklabel.forbidden', { label: ack.label });
      if (!this.declared.has(ack.label)) throw new DittoError('acknowledgement:label.not.declared', { label: ack.label });
    }
    const correlationId = env.headers['correlation-id'] ?? '';
    const replyTo = this.routes.lookup(correlationId, false);
    if (replyTo === undefined) return;
    for (const ack of acks) this.deps.router.replyLive(replyTo, ackToEnvelope(ack));
  }
}

/**
 * A response or acknowledgement from a client answers a request for good: an informational (1xx)
 * status cannot (HTTP could not even send it as the final response).
 */
function checkFinalStatus(status: number | undefined): void {
  if (status === undefined || status < 200) throw new DittoError('protocoladapter:illegal.adaptable', { reason: 'a response or acknowledgement needs a final HTTP status (200 to 599).' });
}

/** What the sender of a live command or message gets: the device's response, or the acknowledgements. */
function outcomeText(request: Envelope, outcome: LiveOutcome, timeoutMs: number): ProtocolAnswer {
  if (outcome.accepted) return undefined;
  const correlation = { 'correlation-id': request.headers['correlation-id'] ?? '' };
  const onlyResponse = outcome.labels.length === 1 && outcome.labels[0] === LIVE_RESPONSE;
  if (onlyResponse) {
    const r = outcome.response;
    if (r !== undefined) return envelopeToText({ ...r, headers: { ...r.headers, ...correlation } });
    const error = new DittoError('acknowledgement:request.timeout', { timeoutMs });
    return envelopeToText(errorResponseToEnvelope(errorResponseFor(error, { topic: request.topic, headers: request.headers })));
  }
  const thingId = topicEntityId(request.topic) ?? '';
  return envelopeToText(acksToEnvelope(thingId, 'live', outcome.acks, correlation));
}
