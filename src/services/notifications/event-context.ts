import { FEATURE_ID_WILDCARD } from '../../model/json-keys.ts';
import { applyFieldSelector, fieldSelectorOf, type FieldSelector } from '../../model/field-selector.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import type { Pointer } from '../../model/json-pointer.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { StoredEntity } from '../../ports/store.ts';
import type { ThingEventLike } from '../../protocol/index.ts';
import { evaluateRqlFilter } from '../../rql/index.ts';
import { readableThing, withSpecialFields } from '../things/thing-view.ts';
import { changedThing, featureIdOf, mergeObjects } from './event-thing.ts';
import type { EventSubscription } from './event-subscription.ts';

const READ = ['READ'] as const;

/** A persisted thing event as the bus carries it, with what fan-out needs beside it. */
export interface PublishedEvent extends ThingEventLike {
  readonly pointer: Pointer;
  readonly namespace: string;
  /** The session whose command caused the event ([ditto: basic-signals] it does not get it back). */
  readonly origin: string | undefined;
}

/** What one subscriber gets of one event. Shared by every subscriber with the same subjects and subscription. */
export interface EventNotification {
  readonly event: ThingEventLike;
  /** The part of the event's value the subscriber may read (undefined for deletions). */
  readonly value: JsonValue | undefined;
  /** Enrichment, READ-filtered; undefined when nothing was selected or nothing is readable. */
  readonly extra: JsonObject | undefined;
  /**
   * The readable changed part as Thing JSON (with `_revision`, `_modified`, `_namespace`) merged
   * with the enrichment: what the subscription filter was evaluated on, and what SSE sends.
   */
  readonly thing: JsonObject;
  /** A rendering of this notification, made by the first subscriber that asks and reused by the rest. */
  rendered<T>(key: string, render: (n: EventNotification) => T): T;
}

/** Subscribers with the same authorization subjects: READ filtering is done once for all of them. */
export interface SubjectGroup {
  readonly id: number;
  /** Frozen, so the enforcer can cache its permission view by identity. */
  readonly subjects: readonly string[];
}

interface GroupView {
  readonly value: JsonValue | undefined;
  readonly changed: JsonObject;
  /** The whole thing as the group may read it, for enrichment; computed on first use. */
  readable?: JsonObject | null;
}

class Notification implements EventNotification {
  private renderings: Map<string, unknown> | undefined;
  constructor(
    readonly event: ThingEventLike,
    readonly value: JsonValue | undefined,
    readonly extra: JsonObject | undefined,
    readonly thing: JsonObject,
  ) {}

  rendered<T>(key: string, render: (n: EventNotification) => T): T {
    this.renderings ??= new Map();
    if (this.renderings.has(key)) return this.renderings.get(key) as T;
    const out = render(this);
    this.renderings.set(key, out);
    return out;
  }
}

const PLACEHOLDER_SEGMENT = /^\{\{\s*([a-z-]+):([\w-]+)\s*\}\}$/;

/**
 * [ditto: basic-enrichment placeholders] An enrichment selector for one signal:
 * `features/{{ feature:id }}/...` and the like resolved; pointers whose placeholders resolve to
 * nothing are left out, and undefined when none is left.
 */
export function resolveFieldSelector(selector: FieldSelector, resolve: (prefix: string, name: string) => string | undefined): FieldSelector | undefined {
  if (!selector.text.includes('{{')) return selector;
  const pointers: Pointer[] = [];
  for (const p of selector.pointers) {
    const out: string[] = [];
    for (const segment of p) {
      const m = PLACEHOLDER_SEGMENT.exec(segment);
      const v = m === null ? segment : resolve(m[1] ?? '', m[2] ?? '');
      if (v === undefined || v === FEATURE_ID_WILDCARD) break;
      out.push(v);
    }
    if (out.length === p.length) pointers.push(out);
  }
  return pointers.length === 0 ? undefined : fieldSelectorOf(pointers);
}

/**
 * Everything computed about one event for its subscribers, each piece once: the READ-filtered
 * view per subject group, then per group and subscription the enrichment and the filter verdict.
 */
export class EventContext {
  private readonly views = new Map<number, GroupView | null>();
  private readonly notifications = new Map<string, Notification | null>();
  private readonly special: JsonObject;
  private nowMs: number | undefined;

  constructor(
    readonly event: PublishedEvent,
    private readonly state: StoredEntity | undefined,
    private readonly enforcer: PolicyEnforcer,
    private readonly clock: () => Date,
  ) {
    const special: JsonObject = { _revision: event.revision, _namespace: event.namespace };
    if (event.timestamp !== undefined) special['_modified'] = event.timestamp;
    if (event.pointer.length === 0 && event.action === 'created' && event.timestamp !== undefined) special['_created'] = event.timestamp;
    this.special = special;
  }

  /**
   * What `group` with `subscription` gets of this event; null when nothing (unreadable, filtered
   * out). `key` identifies the pair (see NotificationHub).
   */
  notificationFor(group: SubjectGroup, subscription: EventSubscription, key: string): EventNotification | null {
    let n = this.notifications.get(key);
    if (n === undefined) {
      n = this.compute(group, subscription);
      this.notifications.set(key, n);
    }
    return n;
  }

  private compute(group: SubjectGroup, subscription: EventSubscription): Notification | null {
    const view = this.viewOf(group);
    if (view === null) return null;
    const extra = subscription.extraFields === undefined ? undefined : this.extraFor(view, group, subscription.extraFields);
    const withSpecial = mergeObjects(view.changed, this.special);
    const thing = extra === undefined ? withSpecial : mergeObjects(withSpecial, extra);
    if (subscription.filter !== undefined) {
      const matches = evaluateRqlFilter(subscription.filter, thing, { now: this.now, resolvePlaceholder: this.resolve });
      if (!matches) return null;
    }
    return new Notification(this.event, view.value, extra, thing);
  }

  /**
   * [ditto: basic-policy, 3.9 partial-access events] A group gets an event when it may read
   * something at or below the event's path, and then only the readable part of its value; an
   * event of which nothing readable is left is not delivered at all.
   */
  private viewOf(group: SubjectGroup): GroupView | null {
    let view = this.views.get(group.id);
    if (view !== undefined) return view;
    view = this.computeView(group.subjects);
    this.views.set(group.id, view);
    return view;
  }

  private computeView(subjects: readonly string[]): GroupView | null {
    const e = this.event;
    if (!this.enforcer.hasPartial('thing', e.pointer, subjects, READ)) return null;
    let value = e.value;
    if (value !== undefined && !isEmptyObject(value)) {
      value = this.enforcer.filterReadable('thing', e.pointer, value, subjects);
      if (value === undefined) return null;
      // [ditto: AdaptablePartialAccessFilter] a whole-thing payload keeps its thingId.
      const original = e.value;
      if (e.pointer.length === 0 && isJsonObject(value) && isJsonObject(original) && original['thingId'] !== undefined && value['thingId'] === undefined) {
        value = { thingId: original['thingId'], ...value };
      }
    }
    return { value, changed: changedThing(e.thingId, e.action, e.pointer, value) };
  }

  /** [ditto: basic-enrichment] The selected fields of the thing as it is now, as the group may read them. */
  private extraFor(view: GroupView, group: SubjectGroup, selector: FieldSelector): JsonObject | undefined {
    if (view.readable === undefined) {
      const state = this.state;
      const readable = state === undefined || state.deleted ? undefined : readableThing(state, this.enforcer, group.subjects);
      view.readable = readable === undefined || state === undefined ? null : withSpecialFields(readable, state);
    }
    if (view.readable === null) return undefined;
    const resolved = resolveFieldSelector(selector, this.resolve);
    if (resolved === undefined) return undefined;
    const extra = applyFieldSelector(view.readable, resolved);
    return isEmptyObject(extra) ? undefined : extra;
  }

  private readonly now = (): Date => {
    this.nowMs ??= this.clock().getTime();
    return new Date(this.nowMs);
  };

  /** [ditto: basic-placeholders] Placeholders of event filters and enrichment selectors. */
  readonly resolve = (prefix: string, name: string): string | undefined => {
    const e = this.event;
    const thingName = e.thingId.slice(e.namespace.length + 1);
    switch (prefix) {
      case 'topic':
        return topicPart(name, e, thingName);
      case 'resource':
        return name === 'type' ? 'thing' : name === 'path' ? e.path : undefined;
      case 'entity':
      case 'thing':
        return name === 'id' ? e.thingId : name === 'namespace' ? e.namespace : name === 'name' ? thingName : undefined;
      case 'feature':
        return name === 'id' ? featureIdOf(e.pointer) : undefined;
      case 'header': {
        // Internal headers (the origin session) are not the client's to see or filter on.
        const key = name.toLowerCase();
        return key.startsWith('ditto-') ? undefined : e.headers?.[key];
      }
      case 'time':
        return name === 'now' ? this.now().toISOString() : name === 'now_epoch_millis' ? String(this.now().getTime()) : undefined;
      default:
        return undefined;
    }
  };
}

function topicPart(name: string, e: PublishedEvent, thingName: string): string | undefined {
  switch (name) {
    case 'full':
      return `${e.namespace}/${thingName}/things/twin/events/${e.action}`;
    case 'namespace':
      return e.namespace;
    case 'entityName':
      return thingName;
    case 'group':
      return 'things';
    case 'channel':
      return 'twin';
    case 'criterion':
      return 'events';
    case 'action':
    case 'action-subject':
      return e.action;
    default:
      return undefined;
  }
}

function isEmptyObject(v: JsonValue): boolean {
  if (!isJsonObject(v)) return false;
  for (const _ in v) return false;
  return true;
}
