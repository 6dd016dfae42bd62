import { applyFieldSelector, type FieldSelector } from '../../model/field-selector.ts';
import { setMember } from '../../model/json-keys.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { getAt, type Pointer } from '../../model/json-pointer.ts';
import { headersToJson } from '../../protocol/index.ts';
import type { EventNotification } from '../../services/notifications/index.ts';

/** What an SSE stream shows of each notification: its `fields`, or the value at a path. */
export interface SseView {
  readonly fields: FieldSelector | undefined;
  /** Set for `/things/{id}/<path>` streams: the data is the raw value at this pointer. */
  readonly pointer: Pointer | undefined;
  /** Distinguishes views in the notification's shared renderings. */
  readonly key: string;
}

const HEARTBEAT = Buffer.from('data:\n\n');

/**
 * [ditto: ThingsSseRouteBuilder heartbeat] Pekko's SSE keep-alive: an event with empty data,
 * which EventSource ignores, sent when a stream was idle for the heartbeat interval.
 */
export function heartbeat(): Buffer {
  return HEARTBEAT;
}

/** The `data:` frame of a notification for `view`, or null when the view leaves nothing to send. */
export function renderSse(n: EventNotification, view: SseView): Buffer | null {
  const data = sseData(n, view);
  return data === undefined ? null : Buffer.from(`data:${JSON.stringify(data)}\n\n`);
}

/**
 * [ditto: ThingsSseRouteBuilder.toNonemptyValue] The changed part as Thing JSON (merged with the
 * enrichment), its regular fields only unless `fields` selects others; nothing when the field
 * selection is empty. `_context` adds the protocol event's topic, path, value and headers.
 */
function sseData(n: EventNotification, view: SseView): JsonValue | undefined {
  if (view.pointer !== undefined) return getAt(n.thing, view.pointer);
  if (view.fields === undefined) return regularFields(n.thing);
  const selected = applyFieldSelector(n.thing, view.fields);
  if (isEmpty(selected)) return undefined;
  if (!view.fields.pointers.some((p) => p[0] === '_context')) return selected;
  return applyFieldSelector({ ...n.thing, _context: context(n) }, view.fields);
}

function regularFields(thing: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(thing)) if (!key.startsWith('_')) setMember(out, key, thing[key] as JsonValue);
  return out;
}

/** The Ditto Protocol view of the event, with the value the subscriber may read. */
function context(n: EventNotification): JsonObject {
  const e = n.event;
  const colon = e.thingId.indexOf(':');
  return {
    topic: `${e.thingId.slice(0, colon)}/${e.thingId.slice(colon + 1)}/things/twin/events/${e.action}`,
    path: e.path,
    value: n.value ?? null,
    headers: headersToJson(e.headers ?? {}),
  };
}

function isEmpty(o: JsonValue): boolean {
  if (!isJsonObject(o)) return false;
  for (const _ in o) return false;
  return true;
}
