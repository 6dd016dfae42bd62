import { DittoError } from '../../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { deleteAt, formatPointer, getAt, setAt } from '../../model/json-pointer.ts';
import { applyMergePatch } from '../../model/merge-patch.ts';
import { flattened } from '../../model/json-text.ts';
import type { StoredEntity } from '../../ports/store.ts';
import { eventType, type ThingCommand, type ThingEvent, type ThingEventAction } from '../../signals/index.ts';
import { notFound } from './resource-errors.ts';
import { orderThing, validateThing } from './thing-validation.ts';

/** What an accepted modifying command leads to. */
export interface Decision {
  readonly event: ThingEvent;
  readonly next: StoredEntity;
  readonly status: 201 | 204;
  /** The created resource, for 201 answers. */
  readonly value?: JsonValue;
}

export interface DecideContext {
  /** ISO-8601 timestamp of this change. */
  readonly now: string;
  readonly maxThingBytes: number;
}

export function exists(state: StoredEntity | undefined): state is StoredEntity {
  return state !== undefined && !state.deleted;
}

function featureMissing(state: StoredEntity, cmd: ThingCommand): boolean {
  const r = cmd.resource;
  if (r.kind === 'feature' || !('featureId' in r)) return false;
  return getAt(state.data, ['features', r.featureId]) === undefined;
}

function makeEvent(cmd: ThingCommand, action: ThingEventAction, revision: number, now: string, value?: JsonValue): ThingEvent {
  const base = { type: eventType(action, cmd.resource), action, thingId: cmd.thingId, path: formatPointer(cmd.path), revision, timestamp: now };
  return value === undefined ? base : { ...base, value };
}

/**
 * [ditto: limits things max-size] Ditto measures a thing by the characters of its JSON text (its
 * length in UTF-16 code units, Java's `toString().length()`). The text measured is the state's
 * own, so the state goes on with it (`dataText`): the store writes it and the cache keeps it,
 * instead of each serialising the thing again.
 */
function sized(next: StoredEntity, ctx: DecideContext): StoredEntity {
  const text = flattened(JSON.stringify(next.data));
  if (text.length > ctx.maxThingBytes) {
    throw new DittoError('things:thing.toolarge', { actualKb: Math.ceil(text.length / 1024), maxKb: Math.floor(ctx.maxThingBytes / 1024) });
  }
  // Not enumerable, as on a loaded state: the state compares and copies as before. `next` is the
  // new object its caller just made, so the text is added to it rather than to a copy.
  return Object.defineProperty(next, 'dataText', { value: text });
}

/**
 * Create or modify at the command's path with an already validated value. At the root a missing
 * thing is created; below the root the thing must exist (the service answers 404 before).
 */
export function decideModify(state: StoredEntity | undefined, cmd: ThingCommand, value: JsonValue, ctx: DecideContext): Decision {
  const revision = (state?.revision ?? 0) + 1;
  if (cmd.path.length === 0) {
    if (!isJsonObject(value)) throw new DittoError('json.format.invalid', { reason: 'a thing must be a JSON object' });
    const created = !exists(state);
    const data = orderThing(value);
    const event = makeEvent(cmd, created ? 'created' : 'modified', revision, ctx.now, data);
    return { event, next: sized(evolve(state, event), ctx), status: created ? 201 : 204, ...(created ? { value: data } : {}) };
  }
  if (!exists(state)) throw new DittoError('things:thing.notfound', { thingId: cmd.thingId });
  // [ditto: things commands] sub-resources of a feature need the feature to exist.
  if (featureMissing(state, cmd)) throw new DittoError('things:feature.notfound', { thingId: cmd.thingId, featureId: (cmd.resource as { featureId: string }).featureId });
  const created = getAt(state.data, cmd.path) === undefined;
  const data = orderThing(setAt(state.data, cmd.path, value));
  const next = sized(nextState(state, revision, ctx.now, data), ctx);
  const event = makeEvent(cmd, created ? 'created' : 'modified', revision, ctx.now, value);
  return { event, next, status: created ? 201 : 204, ...(created ? { value } : {}) };
}

/** RFC 7396 merge at the command's path; the thing must exist. */
export function decideMerge(state: StoredEntity | undefined, cmd: ThingCommand, ctx: DecideContext): Decision {
  const patch = cmd.value;
  if (patch === undefined) throw new DittoError('things:merge.invalid', { reason: 'The merge patch is missing.' });
  checkMergeHeadFields(cmd, patch);
  if (!exists(state)) throw new DittoError('things:thing.notfound', { thingId: cmd.thingId });
  const merged = applyMergePatch(getAt(state.data, cmd.path), patch);
  let data: JsonObject;
  if (cmd.path.length === 0) {
    if (!isJsonObject(merged)) throw new DittoError('things:merge.invalid', { reason: 'A thing must stay a JSON object.' });
    data = merged;
  } else {
    data = merged === null ? deleteAt(state.data, cmd.path) : setAt(state.data, cmd.path, merged);
  }
  // The patch can touch any part of the thing: validate the whole result.
  data = validateThing(data, cmd.thingId);
  if (data['policyId'] === undefined) throw new DittoError('things:policyId.notdeletable');
  const revision = state.revision + 1;
  const next = sized(nextState(state, revision, ctx.now, data), ctx);
  const event = makeEvent(cmd, 'merged', revision, ctx.now, patch);
  return { event, next, status: 204 };
}

function checkMergeHeadFields(cmd: ThingCommand, patch: JsonValue): void {
  if (cmd.path.length === 0) {
    // [ditto: httpapi-concepts merge] null or an empty object at the root is no valid patch.
    if (!isJsonObject(patch) || Object.keys(patch).length === 0) {
      throw new DittoError('things:merge.invalid', { reason: 'A merge of a whole thing needs a non-empty JSON object.' });
    }
    if (patch['thingId'] === null) throw new DittoError('things:id.notdeletable');
    if (patch['thingId'] !== undefined && patch['thingId'] !== cmd.thingId) throw new DittoError('things:id.notsettable');
    if (patch['policyId'] === null) throw new DittoError('things:policyId.notdeletable');
  } else if (cmd.resource.kind === 'policyId' && patch === null) {
    throw new DittoError('things:policyId.notdeletable');
  }
}

export function decideDelete(state: StoredEntity | undefined, cmd: ThingCommand, ctx: DecideContext): Decision {
  if (!exists(state)) throw new DittoError('things:thing.notfound', { thingId: cmd.thingId });
  if (cmd.resource.kind === 'policyId') throw new DittoError('things:policyId.notdeletable');
  const revision = state.revision + 1;
  if (cmd.path.length === 0) {
    const event = makeEvent(cmd, 'deleted', revision, ctx.now);
    return { event, next: evolve(state, event), status: 204 };
  }
  if (featureMissing(state, cmd)) throw new DittoError('things:feature.notfound', { thingId: cmd.thingId, featureId: (cmd.resource as { featureId: string }).featureId });
  if (getAt(state.data, cmd.path) === undefined) throw notFound(cmd.thingId, cmd.resource);
  const event = makeEvent(cmd, 'deleted', revision, ctx.now);
  return { event, next: nextState(state, revision, ctx.now, deleteAt(state.data, cmd.path)), status: 204 };
}

/** A new object (`sized` adds to it). Written out rather than spread: spreading costs ~1 µs here. */
function nextState(state: StoredEntity, revision: number, now: string, data: JsonObject): StoredEntity {
  return { type: 'thing', id: state.id, revision, created: state.created, modified: now, deleted: false, data };
}

/**
 * Applies a persisted event to a state. Replaying a thing's journal with this function yields
 * the state `decide*` produced (a property test holds the two together).
 */
export function evolve(state: StoredEntity | undefined, event: ThingEvent): StoredEntity {
  const path = event.path === '/' ? [] : event.path.slice(1).split('/');
  if (path.length === 0) {
    if (event.action === 'deleted') {
      return { type: 'thing', id: event.thingId, revision: event.revision, created: state?.created ?? event.timestamp, modified: event.timestamp, deleted: true, data: {} };
    }
    if (event.action === 'created' || event.action === 'modified') {
      const created = event.action === 'created' || state === undefined || state.deleted ? event.timestamp : state.created;
      return { type: 'thing', id: event.thingId, revision: event.revision, created, modified: event.timestamp, deleted: false, data: orderThing(event.value as JsonObject) };
    }
  }
  const base: StoredEntity = state ?? { type: 'thing', id: event.thingId, revision: 0, created: event.timestamp, modified: event.timestamp, deleted: false, data: {} };
  let data: JsonObject;
  switch (event.action) {
    case 'deleted':
      data = deleteAt(base.data, path);
      break;
    case 'merged': {
      const merged = applyMergePatch(getAt(base.data, path), event.value ?? null);
      data = path.length === 0 ? (merged as JsonObject) : merged === null || merged === undefined ? deleteAt(base.data, path) : setAt(base.data, path, merged);
      // The same normalisation decideMerge applies (unknown members of a feature are dropped).
      data = validateThing(data, event.thingId);
      break;
    }
    default:
      data = orderThing(setAt(base.data, path, event.value ?? null));
  }
  return { type: 'thing', id: base.id, revision: event.revision, created: base.created, modified: event.timestamp, deleted: false, data };
}
