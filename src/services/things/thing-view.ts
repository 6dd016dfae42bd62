import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import type { StoredEntity } from '../../ports/store.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { Pointer } from '../../model/json-pointer.ts';

const SPECIAL_FIELDS = ['_revision', '_created', '_modified', '_namespace'] as const;

export function namespaceOf(id: string): string {
  const i = id.indexOf(':');
  return i < 0 ? '' : id.slice(0, i);
}

/**
 * The caller's view of the whole thing: its readable regular fields; `thingId` always stays
 * [ditto: authorization outcome rules]. Undefined when the caller may read nothing at or below
 * the root; a caller with a grant somewhere below sees at least the thingId, even when nothing
 * under that grant exists yet.
 */
export function readableThing(state: StoredEntity, enforcer: PolicyEnforcer, subjects: readonly string[]): JsonObject | undefined {
  if (!enforcer.hasPartial('thing', [], subjects, ['READ'])) return undefined;
  const filtered = enforcer.filterReadable('thing', [], state.data, subjects);
  const out: JsonObject = isJsonObject(filtered) ? filtered : {};
  if (out['thingId'] === undefined) return { thingId: state.id, ...out };
  return out;
}

export function withSpecialFields(view: JsonObject, state: StoredEntity): JsonObject {
  return {
    ...view,
    _revision: state.revision,
    _created: state.created,
    _modified: state.modified,
    _namespace: namespaceOf(state.id),
  };
}

/** Whether a field selector text asks for any special field. */
export function selectsSpecialFields(fields: string): boolean {
  return fields.includes('_');
}

export function isSpecialField(name: string): boolean {
  return (SPECIAL_FIELDS as readonly string[]).includes(name) || name === '_policy';
}

export function filterAt(enforcer: PolicyEnforcer, path: Pointer, value: JsonValue, subjects: readonly string[]): JsonValue | undefined {
  return enforcer.filterReadable('thing', path, value, subjects);
}
