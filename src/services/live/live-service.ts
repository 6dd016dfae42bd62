import { DittoError } from '../../model/errors/index.ts';
import type { JsonObject } from '../../model/json.ts';
import { parsePointer, type Pointer } from '../../model/json-pointer.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { Bus, BusMessage, Subscription } from '../../ports/bus.ts';
import type { StoredEntity } from '../../ports/store.ts';
import {
  acksFromEnvelope, BUILT_IN_LABELS, CLAIM_SUBJECT, errorResponseFor, errorResponseToEnvelope, LIVE_RESPONSE, messagePointer, parseMessagePath,
  parseRequestedAcks, SEARCH_PERSISTED, topicEntityId, TWIN_PERSISTED, type Acknowledgement, type Envelope,
} from '../../protocol/index.ts';
import { classifyThingPath, type AuthContext, type DittoHeaders, type ThingCommand, type ThingCommandResult } from '../../signals/index.ts';
import { exists } from '../things/decide.ts';
import { checkCondition } from '../things/preconditions.ts';
import { notFound, notModifiable } from '../things/resource-errors.ts';
import { namespaceOf, readableThing, withSpecialFields } from '../things/thing-view.ts';
import { envelopeFromBus, envelopeToBus, liveSubject, REPLY_HEADER, replySubject, type LiveCriterion } from './bus-codec.ts';
import { PendingRequests, type Collected } from './pending-requests.ts';

export interface LiveSources {
  loadThing(thingId: string): Promise<StoredEntity | undefined>;
  enforcer(policyId: string, namespace: string): Promise<PolicyEnforcer | undefined>;
}

export interface LiveServiceOptions {
  /** Requests waiting for responses or acknowledgements at once; more are refused with 429. */
  readonly maxPending: number;
  readonly now: () => Date;
  readonly onError: (err: unknown) => void;
}

/** A live command or message to route to the devices' subscribers. */
export interface LiveRequest {
  /** A `things/live/commands` or `things/live/messages` envelope; its correlation ID identifies the answers. */
  readonly envelope: Envelope;
  readonly auth: AuthContext;
  readonly timeoutMs: number;
  /** Aborted when the requester is gone (its session closed, its HTTP request disconnected): the wait ends then. */
  readonly signal?: AbortSignal | undefined;
}

/** What came back for a request that was routed. */
export interface LiveOutcome {
  /** True when nothing was waited for (`timeout=0`, `response-required=false`, no labels). */
  readonly accepted: boolean;
  /** The requested labels, in the order asked. */
  readonly labels: readonly string[];
  /** One per label, in label order; what did not come in time is a 408 `acknowledgement:request.timeout`. */
  readonly acks: readonly Acknowledgement[];
  /** The first live response (READ-filtered for live commands), when one came. */
  readonly response: Envelope | undefined;
}

export interface TwinAcked {
  readonly result: ThingCommandResult;
  readonly acks: readonly Acknowledgement[];
}

const READ = ['READ'] as const;
const WRITE = ['WRITE'] as const;

/**
 * The requesting side of the live channel ([ditto: protocol-twinlive, basic-messages,
 * basic-acknowledgements]): checks what a caller may send, publishes live commands, messages and
 * events on the bus, and waits for their responses and acknowledgements on this process's reply
 * subject, each wait bounded by its timeout and the table of waits by `maxPending`. The receiving
 * side (LiveHub) may run in another process: only the bus connects them.
 */
export class LiveService {
  readonly replySubject: string;
  private readonly pending: PendingRequests;
  private subscription: Subscription | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly sources: LiveSources,
    processId: string,
    private readonly options: LiveServiceOptions,
  ) {
    this.replySubject = replySubject(processId);
    this.pending = new PendingRequests(options.maxPending);
  }

  start(): void {
    this.subscription ??= this.bus.subscribe(this.replySubject, (m) => this.onReply(m));
  }

  /** Idempotent: ends every wait with what it has. */
  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.pending.close();
  }

  get waiting(): number {
    return this.pending.size;
  }

  /**
   * Routes a live command or message: the sender must be allowed to (WRITE on `message:/...`
   * except for claims, READ or WRITE on the thing path for live commands), the `condition` must
   * hold on the twin, then it goes out and the requested labels are awaited.
   */
  async send(req: LiveRequest): Promise<LiveOutcome> {
    // Receivers route their answers as long as the requester waits: the signal says how long.
    const env = req.envelope.headers['timeout'] === undefined ? { ...req.envelope, headers: { ...req.envelope.headers, timeout: durationText(req.timeoutMs) } } : req.envelope;
    const thingId = thingIdOf(env);
    const { state, enforcer } = await this.access(thingId);
    const subjects = req.auth.subjects;
    const criterion = env.topic.criterion;
    if (criterion === 'messages') this.authorizeMessage(env, enforcer, subjects, thingId);
    else if (criterion === 'commands') this.authorizeCommand(env, enforcer, subjects, thingId);
    else throw new DittoError('protocoladapter:unknown.topicpath', { topic: env.topic.criterion, reason: 'Only live commands and messages are sent with a response.' });
    checkCondition(env.headers, thingId, () => withSpecialFields(readableThing(state, enforcer, subjects) ?? { thingId }, state), this.options.now);
    const labels = liveLabels(env.headers);
    const policyId = String(state.data['policyId']);
    if (labels.length === 0 || req.timeoutMs === 0) {
      this.publish(criterion, thingId, env, policyId, false);
      return { accepted: true, labels, acks: [], response: undefined };
    }
    const correlationId = env.headers['correlation-id'] ?? '';
    const waiting = this.pending.open(correlationId, thingId, labels, req.timeoutMs);
    this.endWhenGone(correlationId, waiting, req.signal);
    this.publish(criterion, thingId, env, policyId, true);
    const collected = await waiting;
    let response = collected.response;
    if (response !== undefined && criterion === 'commands') response = filterResponse(response, enforcer, subjects, thingId);
    return { accepted: false, labels, acks: this.ackList(labels, collected, req.timeoutMs, env.headers), response };
  }

  /** [ditto: protocol-twinlive] A live event from a device: WRITE on the changed path, else 403 `things:event.notallowed`. */
  async publishEvent(env: Envelope, auth: AuthContext): Promise<void> {
    const thingId = thingIdOf(env);
    const { state, enforcer } = await this.access(thingId);
    const path = parsePointer(env.path);
    if (!enforcer.hasUnrestricted('thing', path, auth.subjects, WRITE)) throw new DittoError('things:event.notallowed', { thingId });
    this.publish('events', thingId, env, String(state.data['policyId']), false);
  }

  /**
   * A twin modification with acknowledgements ([ditto: basic-acknowledgements]): custom labels
   * are put on the event (with this process as the reply address) and awaited after the commit;
   * `twin-persisted` and `search-persisted` are the commit itself, since the search index is
   * written in the same transaction. A failing command fails as usual.
   */
  async twinWithAcks(
    cmd: ThingCommand, labels: readonly string[], timeoutMs: number, run: (cmd: ThingCommand) => Promise<ThingCommandResult>, signal?: AbortSignal,
  ): Promise<TwinAcked> {
    const awaited = labels.filter((l) => l !== TWIN_PERSISTED && l !== SEARCH_PERSISTED);
    const correlationId = cmd.headers['correlation-id'] ?? '';
    let waiting: Promise<Collected> | undefined;
    let command = cmd;
    if (awaited.length > 0) {
      waiting = this.pending.open(correlationId, cmd.thingId, awaited, timeoutMs);
      this.endWhenGone(correlationId, waiting, signal);
      const custom = labels.filter((l) => !BUILT_IN_LABELS.has(l));
      command = { ...cmd, headers: { ...cmd.headers, 'requested-acks': JSON.stringify(custom), [REPLY_HEADER]: this.replySubject } };
    }
    let result: ThingCommandResult;
    try {
      result = await run(command);
    } catch (e) {
      this.pending.end(correlationId);
      throw e;
    }
    const collected: Collected = waiting === undefined ? { acks: new Map(), response: undefined } : await waiting;
    const headers = { 'correlation-id': correlationId };
    const acks = labels.map((label): Acknowledgement => {
      if (label === TWIN_PERSISTED) return { label, thingId: cmd.thingId, channel: 'twin', status: result.status, headers: { ...headers, ...result.headers }, ...(result.value === undefined ? {} : { value: result.value }) };
      if (label === SEARCH_PERSISTED) return { label, thingId: cmd.thingId, channel: 'twin', status: 204, headers };
      return collected.acks.get(label) ?? timeoutAck(label, cmd.thingId, 'twin', timeoutMs, headers);
    });
    return { result, acks };
  }

  /** Answers a live signal or issues an acknowledgement: to the reply address the signal carried. */
  reply(replyTo: string, env: Envelope): void {
    this.bus.publish({ subject: replyTo, payload: envelopeToBus(env) });
  }

  /** A requester that is gone waits no longer: its entry in the bounded table is freed at once. */
  private endWhenGone(correlationId: string, waiting: Promise<Collected>, signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    if (signal.aborted) {
      this.pending.end(correlationId);
      return;
    }
    const end = (): void => this.pending.end(correlationId);
    signal.addEventListener('abort', end, { once: true });
    // The listener must not outlive the wait (a session sends many requests over one signal).
    void waiting.then(() => signal.removeEventListener('abort', end));
  }

  private publish(criterion: LiveCriterion, thingId: string, env: Envelope, policyId: string, wantsReply: boolean): void {
    const headers: DittoHeaders = wantsReply ? { ...env.headers, [REPLY_HEADER]: this.replySubject } : env.headers;
    const message: BusMessage = { subject: liveSubject(criterion, thingId), payload: envelopeToBus({ ...env, headers }, policyId), ...(wantsReply ? { replyTo: this.replySubject } : {}) };
    this.bus.publish(message);
  }

  private onReply(m: BusMessage): void {
    const env = envelopeFromBus(m.payload);
    if (env === undefined) return;
    const correlationId = env.headers['correlation-id'];
    const thingId = topicEntityId(env.topic);
    if (correlationId === undefined || thingId === undefined) return;
    try {
      if (env.topic.criterion === 'acks') {
        for (const ack of acksFromEnvelope(env)) this.pending.ack(correlationId, ack);
      } else {
        this.pending.response(correlationId, thingId, env);
      }
    } catch (err) {
      this.options.onError(err);
    }
  }

  private async access(thingId: string): Promise<{ state: StoredEntity; enforcer: PolicyEnforcer }> {
    const state = await this.sources.loadThing(thingId);
    const policyId = exists(state) ? state.data['policyId'] : undefined;
    const enforcer = exists(state) && typeof policyId === 'string' ? await this.sources.enforcer(policyId, namespaceOf(thingId)) : undefined;
    if (!exists(state) || enforcer === undefined) throw new DittoError('things:thing.notfound', { thingId });
    return { state, enforcer };
  }

  private authorizeMessage(env: Envelope, enforcer: PolicyEnforcer, subjects: readonly string[], thingId: string): void {
    const address = parseMessagePath(env.path);
    if (address === undefined) throw new DittoError('protocoladapter:unknown.path', { path: env.path });
    // [ditto: basic-messages claiming] anyone may ask for a thing by claiming it.
    const claim = address.direction === 'inbox' && address.featureId === undefined && address.subject === CLAIM_SUBJECT;
    if (claim) return;
    if (!enforcer.hasUnrestricted('message', messagePointer(address), subjects, WRITE)) throw new DittoError('messages:send.notallowed', { thingId });
  }

  /** [ditto: LiveSignalEnforcement] as for the twin: READ to retrieve, WRITE to change. */
  private authorizeCommand(env: Envelope, enforcer: PolicyEnforcer, subjects: readonly string[], thingId: string): void {
    const path = parsePointer(env.path);
    const resource = classifyThingPath(path);
    if (resource === undefined) throw new DittoError('protocoladapter:unknown.path', { path: env.path });
    const action = env.topic.criterion === 'commands' ? env.topic.action : 'retrieve';
    if (action === 'retrieve') {
      if (!enforcer.hasPartial('thing', path, subjects, READ)) throw notFound(thingId, resource);
      return;
    }
    if (enforcer.hasUnrestricted('thing', path, subjects, WRITE)) return;
    if (!enforcer.hasPartial('thing', [], subjects, READ)) throw new DittoError('things:thing.notfound', { thingId });
    throw notModifiable(thingId, resource, action === 'delete');
  }

  private ackList(labels: readonly string[], collected: Collected, timeoutMs: number, headers: DittoHeaders): Acknowledgement[] {
    const base = { 'correlation-id': headers['correlation-id'] ?? '' };
    const thingId = collected.response === undefined ? '' : (topicEntityId(collected.response.topic) ?? '');
    return labels.map((l) => collected.acks.get(l) ?? timeoutAck(l, thingId, 'live', timeoutMs, base));
  }
}

/** The Ditto error body as a JSON value. */
export function errorJson(error: DittoError): JsonObject {
  const j = error.toJSON();
  const out: JsonObject = { status: j.status, error: j.error, message: j.message };
  if (j.description !== undefined) out['description'] = j.description;
  return out;
}

/** [ditto: DittoDuration] `10s`, or `250ms` when not whole seconds. */
function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function thingIdOf(env: Envelope): string {
  const id = topicEntityId(env.topic);
  if (id === undefined) throw new DittoError('things:id.invalid', { thingId: `${env.topic.namespace}:${env.topic.name}` });
  return id;
}

/**
 * [ditto: basic-acknowledgements interaction between headers] Live commands and messages request
 * `live-response` unless `response-required` is false, which takes it out of any list.
 */
export function liveLabels(headers: DittoHeaders): string[] {
  const text = headers['requested-acks'];
  const labels = text === undefined ? [] : parseRequestedAcks(text);
  const respond = headers['response-required'] !== 'false';
  if (!respond) return labels.filter((l) => l !== LIVE_RESPONSE);
  return labels.includes(LIVE_RESPONSE) ? labels : [LIVE_RESPONSE, ...labels];
}

export function timeoutAck(label: string, thingId: string, channel: 'twin' | 'live', timeoutMs: number, headers: DittoHeaders): Acknowledgement {
  return { label, thingId, channel, status: 408, value: errorJson(new DittoError('acknowledgement:request.timeout', { timeoutMs })), headers };
}

/**
 * [ditto: LiveSignalEnforcement.filterResponse] The requester sees of a live response what it may
 * read. Only error answers (status 300 and above) pass as they are: whatever topic a device
 * answers a live command on (an event, message or errors topic included), a successful answer's
 * value is thing data at its path.
 */
function filterResponse(env: Envelope, enforcer: PolicyEnforcer, subjects: readonly string[], thingId: string): Envelope {
  if (env.value === undefined || (env.status !== undefined && env.status >= 300)) return env;
  const path: Pointer = parsePointer(env.path);
  const value = enforcer.filterReadable('thing', path, env.value, subjects);
  if (value !== undefined) return { ...env, value };
  const resource = classifyThingPath(path) ?? { kind: 'thing' as const };
  return errorResponseToEnvelope(errorResponseFor(notFound(thingId, resource), { topic: env.topic, headers: env.headers }));
}
