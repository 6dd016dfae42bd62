import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { parsePointer } from '../../model/json-pointer.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { Bus, BusMessage, Subscription } from '../../ports/bus.ts';
import type { StoredEntity } from '../../ports/store.ts';
import type { ThingEventAction } from '../../signals/index.ts';
import { KeyedQueue } from '../common/lru-cache.ts';
import { EventContext, type EventNotification, type PublishedEvent, type SubjectGroup } from './event-context.ts';
import type { EventSubscription } from './event-subscription.ts';

/** A WebSocket session or an SSE stream that wants thing events. */
export interface EventSubscriber {
  readonly subjects: readonly string[];
  readonly subscription: EventSubscription;
  /** Events caused by this origin's own commands are not delivered to it. */
  readonly origin?: string | undefined;
  /**
   * Called synchronously during fan-out, in revision order per thing. It must not block or wait:
   * a transport queues (or drops) and returns.
   */
  deliver(notification: EventNotification): void;
}

export interface NotificationSources {
  /** The thing's committed state, when at hand without I/O (the cache). */
  peekThing(thingId: string): StoredEntity | undefined;
  loadThing(thingId: string): Promise<StoredEntity | undefined>;
  enforcer(policyId: string, namespace: string): Promise<PolicyEnforcer | undefined>;
}

export interface NotificationHubOptions {
  readonly now: () => Date;
  readonly onError: (err: unknown, event: string) => void;
  /**
   * Called after the fan-out of an event that requests acknowledgements, with the origins of the
   * subscribers it reached (weak acknowledgements for the others; see LiveHub).
   */
  readonly onAckRequestingEvent?: (thingId: string, headers: Readonly<Record<string, string>>, delivered: ReadonlySet<string>) => void;
}

export interface NotificationStats {
  readonly subscribers: number;
  readonly events: number;
  readonly notifications: number;
}

interface Entry {
  readonly subscriber: EventSubscriber;
  /** As it was when subscribed: a subscriber that changes its subscription subscribes again. */
  readonly subscription: EventSubscription;
  readonly group: SubjectGroup & { members: number };
  /** Group and subscription: entries with the same key share one notification per event. */
  readonly key: string;
}

const ACTIONS: ReadonlySet<string> = new Set<ThingEventAction>(['created', 'modified', 'merged', 'deleted']);

/**
 * Change notifications ([ditto: basic-changenotifications]): every persisted thing event, once,
 * in revision order per thing, to every subscriber that may read part of it. Per event, the READ
 * filtering is computed once per distinct subject set and the enrichment and filter once per
 * distinct subscription within it; subscribers are indexed by thing ID and namespace so an event
 * only visits those it could concern.
 */
export class NotificationHub {
  private readonly all = new Set<Entry>();
  private readonly byNamespace = new Map<string, Set<Entry>>();
  private readonly byThing = new Map<string, Set<Entry>>();
  private readonly entries = new Map<EventSubscriber, Entry>();
  private readonly groups = new Map<string, SubjectGroup & { members: number }>();
  private readonly order = new KeyedQueue();
  private nextGroupId = 1;
  private busSubscription: Subscription | undefined;
  private events = 0;
  private notifications = 0;

  constructor(
    private readonly sources: NotificationSources,
    private readonly options: NotificationHubOptions,
  ) {}

  /** Starts listening for committed thing events. */
  start(bus: Bus): void {
    this.busSubscription ??= bus.subscribe('things.twin.events.>', (m) => this.onMessage(m));
  }

  subscribe(subscriber: EventSubscriber): void {
    this.unsubscribe(subscriber);
    const key = [...new Set(subscriber.subjects)].sort().join('\n');
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { id: this.nextGroupId++, subjects: Object.freeze(key === '' ? [] : key.split('\n')), members: 0 };
      this.groups.set(key, group);
    }
    group.members++;
    const entry: Entry = { subscriber, subscription: subscriber.subscription, group, key: `${group.id}\u0000${subscriber.subscription.key}` };
    this.entries.set(subscriber, entry);
    for (const set of this.indexSets(entry.subscription, true)) set.add(entry);
  }

  unsubscribe(subscriber: EventSubscriber): void {
    const entry = this.entries.get(subscriber);
    if (entry === undefined) return;
    this.entries.delete(subscriber);
    for (const set of this.indexSets(entry.subscription, false)) set.delete(entry);
    this.prune(entry.subscription);
    if (--entry.group.members === 0) this.groups.delete(entry.group.subjects.join('\n'));
  }

  stats(): NotificationStats {
    return { subscribers: this.entries.size, events: this.events, notifications: this.notifications };
  }

  /** Idempotent. */
  close(): void {
    this.busSubscription?.unsubscribe();
    this.busSubscription = undefined;
  }

  /** The index sets a subscription lives in: by thing ID if it names things, else by namespace, else all. */
  private indexSets(s: EventSubscription, create: boolean): Set<Entry>[] {
    if (s.thingIds !== undefined) return [...s.thingIds].flatMap((id) => this.indexSet(this.byThing, id, create));
    if (s.namespaces !== undefined) return [...s.namespaces].flatMap((ns) => this.indexSet(this.byNamespace, ns, create));
    return [this.all];
  }

  private indexSet(index: Map<string, Set<Entry>>, key: string, create: boolean): Set<Entry>[] {
    let set = index.get(key);
    if (set === undefined && create) {
      set = new Set();
      index.set(key, set);
    }
    return set === undefined ? [] : [set];
  }

  private prune(s: EventSubscription): void {
    for (const id of s.thingIds ?? []) if (this.byThing.get(id)?.size === 0) this.byThing.delete(id);
    for (const ns of s.namespaces ?? []) if (this.byNamespace.get(ns)?.size === 0) this.byNamespace.delete(ns);
  }

  private onMessage(m: BusMessage): void {
    const requestsAcks = this.options.onAckRequestingEvent !== undefined && isJsonObject(m.payload['headers']) && m.payload['headers']['requested-acks'] !== undefined;
    if (this.entries.size === 0 && !requestsAcks) return;
    const event = parsePublished(m.payload);
    if (event === undefined) return;
    // Nobody could be interested: the policy is not even looked up.
    if (!requestsAcks && this.all.size === 0 && !this.byNamespace.has(event.namespace) && !this.byThing.has(event.thingId)) return;
    // The state is taken now: the in-process bus runs right after the commit, so the cache holds
    // exactly the state this event led to, and enrichment shows that revision.
    const peeked = this.sources.peekThing(event.thingId);
    const policyHint = typeof m.payload['policyId'] === 'string' ? m.payload['policyId'] : undefined;
    this.order.run(event.thingId, () => this.process(event, peeked, policyHint)).catch((err: unknown) => this.options.onError(err, event.thingId));
  }

  private async process(event: PublishedEvent, peeked: StoredEntity | undefined, policyHint: string | undefined): Promise<void> {
    // Only an event that requests acknowledgements needs to know whom it reached.
    const delivered = event.headers?.['requested-acks'] === undefined ? undefined : new Set<string>();
    try {
      const state = peeked ?? (await this.sources.loadThing(event.thingId));
      const fromState = state?.data['policyId'];
      const policyId = typeof fromState === 'string' ? fromState : policyHint;
      if (policyId === undefined) return;
      const enforcer = await this.sources.enforcer(policyId, event.namespace);
      if (enforcer === undefined) return;
      this.events++;
      this.fanOut(new EventContext(event, state, enforcer, this.options.now), delivered);
    } finally {
      if (delivered !== undefined && event.headers !== undefined) this.options.onAckRequestingEvent?.(event.thingId, event.headers, delivered);
    }
  }

  private fanOut(ctx: EventContext, delivered: Set<string> | undefined): void {
    const e = ctx.event;
    this.visit(this.all, ctx, delivered);
    const byNs = this.byNamespace.get(e.namespace);
    if (byNs !== undefined) this.visit(byNs, ctx, delivered);
    const byId = this.byThing.get(e.thingId);
    if (byId !== undefined) this.visit(byId, ctx, delivered);
  }

  private visit(entries: ReadonlySet<Entry>, ctx: EventContext, delivered: Set<string> | undefined): void {
    const e = ctx.event;
    for (const entry of entries) {
      const sub = entry.subscriber;
      if (sub.origin !== undefined && sub.origin === e.origin) continue;
      const s = entry.subscription;
      if (s.namespaces !== undefined && !s.namespaces.has(e.namespace)) continue;
      const n = ctx.notificationFor(entry.group, s, entry.key);
      if (n === null) continue;
      this.notifications++;
      if (delivered !== undefined && sub.origin !== undefined) delivered.add(sub.origin);
      try {
        sub.deliver(n);
      } catch (err) {
        this.options.onError(err, e.thingId);
      }
    }
  }
}

/** The event JSON of a bus message (see ThingsService), or undefined when it is not one. */
function parsePublished(p: JsonObject): PublishedEvent | undefined {
  const { type, action, thingId, path, revision, timestamp } = p;
  if (typeof type !== 'string' || typeof action !== 'string' || !ACTIONS.has(action)) return undefined;
  if (typeof thingId !== 'string' || typeof path !== 'string' || typeof revision !== 'number') return undefined;
  const headers = isJsonObject(p['headers']) ? stringHeaders(p['headers']) : undefined;
  const colon = thingId.indexOf(':');
  const value: JsonValue | undefined = p['value'];
  return {
    type,
    action: action as ThingEventAction,
    thingId,
    path,
    revision,
    pointer: parsePointer(path),
    namespace: colon < 0 ? '' : thingId.slice(0, colon),
    origin: headers?.['ditto-origin'],
    ...(value === undefined ? {} : { value }),
    ...(typeof timestamp === 'string' ? { timestamp } : {}),
    ...(headers === undefined ? {} : { headers }),
  };
}

function stringHeaders(h: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (typeof v === 'string') out[k] = v;
  return out;
}
