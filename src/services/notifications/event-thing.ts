import { hasMember, setMember } from '../../model/json-keys.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { setAt, type Pointer } from '../../model/json-pointer.ts';
import type { ThingEventAction } from '../../signals/index.ts';

/**
 * [ditto: ThingEventToThingConverter] The changed part of a thing as Thing JSON: its thingId plus
 * the event's value placed at the event's path. This is what SSE sends and what subscription
 * filters see (unchanged data is unknown unless enriched with extraFields). Deletions give the
 * bare `{thingId}`; a merge contributes what it sets, never its deletions (`null` members).
 */
export function changedThing(thingId: string, action: ThingEventAction, path: Pointer, value: JsonValue | undefined): JsonObject {
  const base: JsonObject = { thingId };
  if (action === 'deleted' || value === undefined) return base;
  const part = action === 'merged' ? withoutNulls(value) : value;
  if (path.length === 0) return isJsonObject(part) ? mergeObjects(base, part) : base;
  return setAt(base, path, part);
}

/** A merge patch without its deletions; a patch that only deletes contributes an empty object. */
function withoutNulls(v: JsonValue): JsonValue {
  if (v === null) return {};
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const key of Object.keys(v)) {
    const child = v[key] as JsonValue;
    if (child === null) continue;
    setMember(out, key, isJsonObject(child) ? withoutNulls(child) : child);
  }
  return out;
}

/**
 * [ditto: JsonFactory.newObject(JsonObject, JsonObject)] Deep merge where `primary` wins every
 * conflict that is not two objects; primary's members come first, then the other's new ones.
 */
export function mergeObjects(primary: JsonObject, secondary: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(primary)) {
    const p = primary[key] as JsonValue;
    const s = hasMember(secondary, key) ? secondary[key] : undefined;
    setMember(out, key, isJsonObject(p) && isJsonObject(s) ? mergeObjects(p, s) : p);
  }
  for (const key of Object.keys(secondary)) {
    if (!hasMember(primary, key)) setMember(out, key, secondary[key] as JsonValue);
  }
  return out;
}

/** The feature an event is about (`/features/<id>/...`), for `feature:id` placeholders. */
export function featureIdOf(path: Pointer): string | undefined {
  return path.length >= 2 && path[0] === 'features' ? path[1] : undefined;
}
