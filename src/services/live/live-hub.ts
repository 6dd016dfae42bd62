import { DittoError } from '../../model/errors/index.ts';
import { applyFieldSelector, type FieldSelector } from '../../model/field-selector.ts';
import { isJsonObject, type JsonObject } from '../../model/json.ts';
import { parsePointer, type Pointer } from '../../model/json-pointer.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { Bus, BusMessage, Subscription } from '../../ports/bus.ts';
import type { StoredEntity } from '../../ports/store.ts';
import {
  ackToEnvelope, envelopeToText, formatTopic, messagePointer, parseMessagePath, parseRequestedAcks, topicEntityId, type Envelope,
} from '../../protocol/index.ts';
import { evaluateRqlFilter } from '../../rql/index.ts';
import type { DittoHeaders, ThingEventAction } from '../../signals/index.ts';
import { KeyedQueue } from '../common/lru-cache.ts';
import { changedThing, mergeObjects, resolveFieldSelector, type EventSubscription } from '../notifications/index.ts';
import { namespaceOf, readableThing, withSpecialFields } from '../things/thing-view.ts';
import { envelopeFromBus, envelopeToBus, LIVE_SUBJECTS, REPLY_HEADER } from './bus-codec.ts';

/** The three live streams a WebSocket session (or an SSE message stream) can subscribe to. */
export type LiveStream = 'messages' | 'liveCommands' | 'liveEvents';

/** One live signal for one receiver. */
export interface LiveDelivery {
  /** With internal headers; `text()` leaves them out. */
  readonly envelope: Envelope;
  readonly thingId: string;
  /** Where the response goes; undefined when none is expected. */
  readonly replyTo: string | undefined;
  readonly timeoutMs: number;
  /** The Ditto Protocol text, rendered once for every receiver that gets the same view. */
  text(): string;
}

export interface LiveSubscriber {
  readonly subjects: readonly string[];
  /** Signals sent by this origin are not delivered back to it. */
  readonly origin?: string | undefined;
  readonly subscription: EventSubscription;
  /** Called during fan-out; must not block. */
  deliver(delivery: LiveDelivery): void;
}

/** A subscriber that declared acknowledgement labels it issues ([ditto: declared-acks]). */
export interface AckDeclarer {
  readonly origin: string;
}

export interface LiveHubOptions {
  readonly enforcer: (policyId: string, namespace: string) => Promise<PolicyEnforcer | undefined>;
  /** The twin, for subscriptions with `extraFields`. */
  readonly loadThing: (thingId: string) => Promise<StoredEntity | undefined>;
  readonly now: () => Date;
  readonly onError: (err: unknown) => void;
  /** How long an answer is routed when the signal names no timeout. */
  readonly defaultTimeoutMs: number;
}

const READ = ['READ'] as const;
const STREAM_OF: Readonly<Record<string, LiveStream>> = { messages: 'messages', commands: 'liveCommands', events: 'liveEvents' };
const WEAK_ACK_PAYLOAD = 'Acknowledgement was issued automatically as weak acknowledgement: the subscriber that declared this label did not receive the signal (not subscribed, filtered out, or not allowed to read it).';

class Delivery implements LiveDelivery {
  private rendered: string | undefined;
  constructor(
    readonly envelope: Envelope,
    readonly thingId: string,
    readonly replyTo: string | undefined,
    readonly timeoutMs: number,
  ) {}

  withExtra(extra: JsonObject): Delivery {
    return new Delivery({ ...this.envelope, extra }, this.thingId, this.replyTo, this.timeoutMs);
  }

  text(): string {
    this.rendered ??= envelopeToText(this.envelope);
    return this.rendered;
  }
}

/**
 * The receiving side of the live channel: takes live commands, events and messages off the bus
 * and hands each to the subscribers of its stream that may read it (READ on `message:/<path>` for
 * messages, on the thing path for live commands and events, whose values are cut to what the
 * receiver may read), in order per thing. It also keeps the declared acknowledgement labels of
 * this process's subscribers and issues weak acknowledgements for declarers that an event
 * requesting their label did not reach.
 */
export class LiveHub {
  private readonly streams: Readonly<Record<LiveStream, Set<LiveSubscriber>>> = { messages: new Set(), liveCommands: new Set(), liveEvents: new Set() };
  /** Subscribers per stream that enrich with `extraFields`: only then is the twin loaded. */
  private readonly enriching: Record<LiveStream, number> = { messages: 0, liveCommands: 0, liveEvents: 0 };
  private readonly labels = new Map<string, AckDeclarer>();
  private readonly order = new KeyedQueue();
  private bus: Bus | undefined;
  private subscription: Subscription | undefined;

  constructor(private readonly options: LiveHubOptions) {}

  start(bus: Bus): void {
    this.bus = bus;
    this.subscription ??= bus.subscribe(LIVE_SUBJECTS, (m) => this.onMessage(m));
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  subscribe(stream: LiveStream, subscriber: LiveSubscriber): void {
    const set = this.streams[stream];
    if (set.has(subscriber)) return;
    set.add(subscriber);
    if (subscriber.subscription.extraFields !== undefined) this.enriching[stream]++;
  }

  unsubscribe(stream: LiveStream, subscriber: LiveSubscriber): void {
    if (this.streams[stream].delete(subscriber) && subscriber.subscription.extraFields !== undefined) this.enriching[stream]--;
  }

  /**
   * [ditto: StreamingSessionActor declared-acks] Takes the labels for `declarer`; a label another
   * subscriber holds is 409 `acknowledgement:label.not.unique` and nothing is taken.
   */
  declare(declarer: AckDeclarer, labels: readonly string[]): void {
    const taken = labels.filter((l) => {
      const owner = this.labels.get(l);
      return owner !== undefined && owner !== declarer;
    });
    if (taken.length > 0) throw new DittoError('acknowledgement:label.not.unique', { labels: taken.join(', ') });
    for (const l of labels) this.labels.set(l, declarer);
  }

  undeclare(declarer: AckDeclarer): void {
    for (const [l, owner] of this.labels) if (owner === declarer) this.labels.delete(l);
  }

  /**
   * [ditto: basic-acknowledgements weak acknowledgements] After a twin event's fan-out: every
   * custom label it requests that a subscriber of this process declared, but whose subscriber did
   * not get the event, is acknowledged right away with a weak acknowledgement (200,
   * `ditto-weak-ack: true`), so the requester does not wait for a signal that never comes.
   */
  twinEventDelivered(thingId: string, headers: DittoHeaders, delivered: ReadonlySet<string>): void {
    this.weakAcks(thingId, 'twin', headers, headers[REPLY_HEADER], delivered);
  }

  /**
   * Weak acknowledgements for the custom labels a signal requests whose declarer (a subscriber of
   * this process) did not get it; the same for twin events and live signals.
   */
  private weakAcks(thingId: string, channel: 'twin' | 'live', headers: DittoHeaders, replyTo: string | undefined, delivered: ReadonlySet<string>): void {
    const requested = headers['requested-acks'];
    const bus = this.bus;
    if (replyTo === undefined || requested === undefined || bus === undefined || this.labels.size === 0) return;
    let labels: string[];
    try {
      labels = parseRequestedAcks(requested);
    } catch {
      return;
    }
    for (const label of labels) {
      const owner = this.labels.get(label);
      if (owner === undefined || delivered.has(owner.origin)) continue;
      const ack = ackToEnvelope({
        label,
        thingId,
        channel,
        status: 200,
        value: WEAK_ACK_PAYLOAD,
        headers: { 'correlation-id': headers['correlation-id'] ?? '', 'ditto-weak-ack': 'true' },
      });
      bus.publish({ subject: replyTo, payload: envelopeToBus(ack) });
    }
  }

  private onMessage(m: BusMessage): void {
    const env = envelopeFromBus(m.payload);
    const stream = env === undefined ? undefined : STREAM_OF[env.topic.criterion];
    if (env === undefined || stream === undefined || (this.streams[stream].size === 0 && this.labels.size === 0)) return;
    const thingId = topicEntityId(env.topic);
    const policyId = m.payload['policyId'];
    if (thingId === undefined || typeof policyId !== 'string') return;
    this.order
      .run(thingId, async () => {
        const enforcer = await this.options.enforcer(policyId, namespaceOf(thingId));
        if (enforcer === undefined) return;
        const state = this.enriching[stream] > 0 ? await this.options.loadThing(thingId) : undefined;
        const twin = state === undefined || state.deleted ? undefined : new TwinForEnrichment(state, enforcer, env, thingId);
        this.fanOut(stream, env, thingId, enforcer, m.replyTo ?? env.headers[REPLY_HEADER], twin);
      })
      .catch((err: unknown) => this.options.onError(err));
  }

  private fanOut(stream: LiveStream, env: Envelope, thingId: string, enforcer: PolicyEnforcer, replyTo: string | undefined, twin: TwinForEnrichment | undefined): void {
    const origin = env.headers['ditto-origin'];
    const namespace = namespaceOf(thingId);
    const timeoutMs = timeoutOf(env.headers, this.options.defaultTimeoutMs);
    const shared = new Delivery(env, thingId, replyTo, timeoutMs);
    const views = new Map<string, Delivery | null>();
    const pointer = stream === 'messages' ? messageResource(env.path) : parsePointer(env.path);
    if (pointer === undefined) return;
    // [ditto: basic-acknowledgements] live signals may request custom labels too: declarers they do not reach answer weakly.
    const delivered = replyTo !== undefined && env.headers['requested-acks'] !== undefined && this.labels.size > 0 ? new Set<string>() : undefined;
    for (const s of this.streams[stream]) {
      if (origin !== undefined && s.origin === origin) continue;
      const sub = s.subscription;
      if (sub.namespaces !== undefined && !sub.namespaces.has(namespace)) continue;
      if (sub.thingIds !== undefined && !sub.thingIds.has(thingId)) continue;
      let delivery: Delivery | null;
      if (stream === 'messages') {
        delivery = enforcer.hasUnrestricted('message', pointer, s.subjects, READ) ? shared : null;
      } else {
        const key = [...s.subjects].sort().join('\n');
        let view = views.get(key);
        if (view === undefined) {
          view = this.thingView(shared, pointer, enforcer, s.subjects);
          views.set(key, view);
        }
        delivery = view;
      }
      if (delivery === null) continue;
      if (sub.extraFields !== undefined && twin !== undefined) delivery = twin.enrich(delivery, s.subjects, sub.extraFields);
      if (stream === 'liveEvents' && sub.filter !== undefined && !this.matches(sub, delivery)) continue;
      try {
        s.deliver(delivery);
        if (s.origin !== undefined) delivered?.add(s.origin);
      } catch (err) {
        this.options.onError(err);
      }
    }
    if (delivered !== undefined) this.weakAcks(thingId, 'live', env.headers, replyTo, delivered);
  }

  /** The signal as `subjects` may see it: whole, cut to the readable part of its value, or not at all. */
  private thingView(shared: Delivery, pointer: Pointer, enforcer: PolicyEnforcer, subjects: readonly string[]): Delivery | null {
    if (!enforcer.hasPartial('thing', pointer, subjects, READ)) return null;
    const env = shared.envelope;
    if (env.value === undefined || enforcer.hasUnrestricted('thing', pointer, subjects, READ)) return shared;
    const value = enforcer.filterReadable('thing', pointer, env.value, subjects);
    if (value === undefined) return null;
    return new Delivery({ ...env, value }, shared.thingId, shared.replyTo, shared.timeoutMs);
  }

  private matches(sub: EventSubscription, d: LiveDelivery): boolean {
    const env = d.envelope;
    const topic = env.topic;
    const action = topic.criterion === 'events' ? topic.action : undefined;
    if (sub.filter === undefined || action === undefined || action === 'migrated') return true;
    const changed = changedThing(d.thingId, action as ThingEventAction, parsePointer(env.path), env.value);
    const thing = isJsonObject(changed) ? changed : { thingId: d.thingId };
    try {
      return evaluateRqlFilter(sub.filter, env.extra === undefined ? thing : mergeObjects(thing, env.extra), { now: this.options.now, resolvePlaceholder: placeholders(env, d.thingId) });
    } catch {
      return false;
    }
  }
}

/** [ditto: basic-placeholders] The placeholders a live signal offers its subscribers' filters and enrichment selectors. */
function placeholders(env: Envelope, thingId: string): (prefix: string, name: string) => string | undefined {
  const topic = env.topic;
  const namespace = namespaceOf(thingId);
  return (prefix, name) => {
    switch (prefix) {
      case 'topic': {
        const action = 'action' in topic ? topic.action : undefined;
        const subject = 'subject' in topic ? topic.subject : undefined;
        const parts: Record<string, string | undefined> = {
          full: formatTopic(topic), namespace, entityName: topic.name, group: 'things', channel: 'live', criterion: topic.criterion, action, subject, 'action-subject': action ?? subject,
        };
        return parts[name];
      }
      case 'resource':
        return name === 'type' ? (topic.criterion === 'messages' ? 'message' : 'thing') : name === 'path' ? env.path : undefined;
      case 'thing':
      case 'entity':
        return name === 'id' ? thingId : name === 'namespace' ? namespace : name === 'name' ? topic.name : undefined;
      case 'feature': {
        const segments = env.path.split('/');
        return name === 'id' && segments[1] === 'features' && segments[2] !== undefined && segments[2] !== '' ? segments[2] : undefined;
      }
      case 'header':
        return name.toLowerCase().startsWith('ditto-') ? undefined : env.headers[name.toLowerCase()];
      default:
        return undefined;
    }
  };
}

/**
 * [ditto: basic-enrichment] The twin of a live signal's thing, for subscribers with
 * `extraFields`: the selected fields as each receiver may READ them go into the envelope's
 * `extra`. Computed once per subjects and selector (receivers with the same subjects get the
 * same view of the signal).
 */
class TwinForEnrichment {
  private readonly readable = new Map<string, JsonObject | null>();
  private readonly enriched = new Map<string, Delivery>();
  private readonly resolve: (prefix: string, name: string) => string | undefined;

  constructor(
    private readonly state: StoredEntity,
    private readonly enforcer: PolicyEnforcer,
    env: Envelope,
    thingId: string,
  ) {
    this.resolve = placeholders(env, thingId);
  }

  enrich(delivery: Delivery, subjects: readonly string[], selector: FieldSelector): Delivery {
    const who = [...subjects].sort().join('\n');
    const key = `${who}\u0000${selector.text}`;
    let out = this.enriched.get(key);
    if (out === undefined) {
      const extra = this.extraFor(who, subjects, selector);
      out = extra === undefined ? delivery : delivery.withExtra(extra);
      this.enriched.set(key, out);
    }
    return out;
  }

  private extraFor(who: string, subjects: readonly string[], selector: FieldSelector): JsonObject | undefined {
    let readable = this.readable.get(who);
    if (readable === undefined) {
      const view = readableThing(this.state, this.enforcer, subjects);
      readable = view === undefined ? null : withSpecialFields(view, this.state);
      this.readable.set(who, readable);
    }
    const resolved = readable === null ? undefined : resolveFieldSelector(selector, this.resolve);
    if (readable === null || resolved === undefined) return undefined;
    const extra = applyFieldSelector(readable, resolved);
    return Object.keys(extra).length === 0 ? undefined : extra;
  }
}

function messageResource(path: string): Pointer | undefined {
  const address = parseMessagePath(path);
  return address === undefined ? undefined : messagePointer(address);
}

/** The signal's `timeout` header in ms (`10s`, `250ms`, `1m`, bare seconds), else the default. */
export function timeoutOf(headers: DittoHeaders, fallbackMs: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(headers['timeout'] ?? '');
  if (m === null || m[1] === undefined) return fallbackMs;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}
