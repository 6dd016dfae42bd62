// What a policy retrieve answers: the value at the path (with Ditto's defaults for optional
// entry parts), cut down to what the caller may READ on policy:/..., and the resolved view.

import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { getAt } from '../../model/json-pointer.ts';
import { applyFieldSelector, parseFieldSelector } from '../../model/field-selector.ts';
import { canonicalPolicyJson, importedLabel, type Policy } from '../../policy/index.ts';
import type { StoredEntity } from '../../ports/store.ts';
import { policyPermissionPath, type PolicyCommand } from '../../signals/index.ts';
import type { PolicyHandle } from './policy-enforcers.ts';
import { policyNotFound } from './policy-errors.ts';

export function namespaceOfId(id: string): string {
  const i = id.indexOf(':');
  return i < 0 ? '' : id.slice(0, i);
}

/**
 * The stored value a retrieve addresses. [ditto: RetrievePolicyEntry*Strategy] an entry without
 * `allowedAdditions` or `references` answers `[]`, one without `namespaces` is "not found"; an
 * import without `entries` or `transitiveImports` answers `[]`. A missing entry or import is
 * reported as such whatever part of it was asked for.
 */
export function storedValue(state: StoredEntity, cmd: PolicyCommand): JsonValue | undefined {
  const r = cmd.resource;
  if ('label' in r && r.kind !== 'entry' && getAt(state.data, ['entries', r.label]) === undefined) {
    throw policyNotFound(cmd.policyId, { kind: 'entry', label: r.label });
  }
  if ((r.kind === 'importEntries' || r.kind === 'transitiveImports') && getAt(state.data, ['imports', r.importedPolicyId]) === undefined) {
    throw policyNotFound(cmd.policyId, { kind: 'import', importedPolicyId: r.importedPolicyId });
  }
  const raw = getAt(state.data, cmd.path);
  if (raw !== undefined) return raw;
  if (r.kind === 'allowedAdditions' || r.kind === 'references' || r.kind === 'importEntries' || r.kind === 'transitiveImports') return [];
  if (r.kind === 'imports') return {};
  return undefined;
}

function withSpecialFields(view: JsonObject, state: StoredEntity): JsonObject {
  return { ...view, _revision: state.revision, _created: state.created, _modified: state.modified, _namespace: namespaceOfId(state.id) };
}

/**
 * [ditto: PolicyCommandEnforcement] objects are reduced to what the caller may READ; other values
 * pass as they are once the caller may read anything at the path. A whole policy keeps its
 * policyId; `fields` selects from it (special fields included).
 */
export function readableView(handle: PolicyHandle, state: StoredEntity, cmd: PolicyCommand, raw: JsonValue): JsonValue {
  if (!isJsonObject(raw)) return raw;
  const filtered = handle.enforcer.filterReadable('policy', policyPermissionPath(cmd.path), raw, cmd.auth.subjects);
  const view: JsonObject = isJsonObject(filtered) ? filtered : {};
  if (cmd.path.length !== 0) return view;
  const whole: JsonObject = { policyId: state.id, ...view };
  if (cmd.fields === undefined) return whole;
  return applyFieldSelector(withSpecialFields(whole, state), parseFieldSelector(cmd.fields));
}

/** The source policy of an import as the caller sees it, for the resolved view. */
export type SourceLookup = (policyId: string) => Promise<PolicyHandle | undefined>;

function contributes(importable: string | undefined, label: string, listed: readonly string[] | undefined): boolean {
  const type = importable ?? 'implicit';
  return type === 'implicit' || (type === 'explicit' && listed?.includes(label) === true);
}

/**
 * [ditto: policy-view=resolved] the policy as evaluated, imported entries under their
 * `imported-...` labels, minus the imported entries the caller may not read in their source
 * policy, then READ-filtered like the original view.
 */
export async function resolvedView(handle: PolicyHandle, state: StoredEntity, cmd: PolicyCommand, source: SourceLookup): Promise<JsonValue> {
  const entries = { ...handle.resolved.entries };
  for (const [id, imp] of Object.entries(handle.policy.imports ?? {})) {
    const src = await source(id);
    if (src === undefined) continue;
    for (const [label, entry] of Object.entries(src.resolved.entries)) {
      if (!contributes(entry.importable, label, imp.entries)) continue;
      if (!src.enforcer.hasPartial('policy', ['entries', label], cmd.auth.subjects, ['READ'])) delete entries[importedLabel(id, label)];
    }
  }
  const merged: Policy = { ...handle.resolved, entries };
  return readableView(handle, state, cmd, canonicalPolicyJson(merged));
}
