// decide for policies: a validated command and the current state lead to an event and the next
// state, or to the error Ditto answers with. No I/O; enforcement happened before.

import { DittoError } from '../../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { deleteAt, getAt, setAt, type Pointer } from '../../model/json-pointer.ts';
import { jsonByteLength } from '../../model/json-parse.ts';
import { canonicalPolicyJson, keepsPolicyManager, validatePolicyJson, type Policy, type PolicyEntry } from '../../policy/index.ts';
import type { StoredEntity } from '../../ports/store.ts';
import {
  formatPolicyPath, policyEventType, type PolicyCommand, type PolicyEvent, type PolicyEventAction, type PolicyResource,
  type PolicyResourceKind,
} from '../../signals/index.ts';
import { lockoutError, policyNotFound } from './policy-errors.ts';
import type { ValidatedWrite } from './policy-values.ts';

export interface PolicyDecision {
  readonly event: PolicyEvent;
  readonly next: StoredEntity;
  readonly status: 201 | 204;
  /** The created resource, for 201 answers. */
  readonly value?: JsonValue;
}

export interface PolicyDecideContext {
  /** ISO-8601 timestamp of this change. */
  readonly now: string;
  readonly maxPolicyBytes: number;
}

// [ditto: PoliciesValidator in the command strategies] changes that can take WRITE on policy:/
// away are checked; namespaces, importable, references and imports are not.
const LOCKOUT_CHECKED: ReadonlySet<PolicyResourceKind> = new Set(['policy', 'entries', 'entry', 'subjects', 'subject', 'resources', 'resource']);
// Resources whose PUT answers 201 with the value when it did not exist before.
const CREATABLE: ReadonlySet<PolicyResourceKind> = new Set(['entry', 'subject', 'resource', 'import']);

function event(cmd: PolicyCommand, r: PolicyResource, action: PolicyEventAction, path: Pointer, revision: number, ctx: PolicyDecideContext, value?: JsonValue): PolicyEvent {
  const base = { type: policyEventType(action, r), action, policyId: cmd.policyId, path: formatPolicyPath(path), revision, timestamp: ctx.now };
  return value === undefined ? base : { ...base, value };
}

function nextEntity(state: StoredEntity | undefined, policyId: string, revision: number, ctx: PolicyDecideContext, data: JsonObject): StoredEntity {
  const created = state === undefined || state.deleted ? ctx.now : state.created;
  return { type: 'policy', id: policyId, revision, created, modified: ctx.now, deleted: false, data };
}

function checkSize(data: JsonObject, ctx: PolicyDecideContext): void {
  const bytes = jsonByteLength(data);
  if (bytes > ctx.maxPolicyBytes) {
    throw new DittoError('policies:policy.toolarge', { actualKb: Math.ceil(bytes / 1024), maxKb: Math.floor(ctx.maxPolicyBytes / 1024) });
  }
}

function invalidReference(label: string, reason: string): DittoError {
  return new DittoError('policies:entry.invalid', { label, reason });
}

/** [ditto: validateReferencesIntegrity] references must be unique, not point at their own entry, name existing local entries and declared imports. */
export function checkReferences(policy: Policy, labels: readonly string[]): void {
  for (const label of labels) {
    const refs = policy.entries[label]?.references ?? [];
    const seen = new Set<string>();
    for (const ref of refs) {
      const key = JSON.stringify([ref.import ?? null, ref.entry]);
      if (seen.has(key)) throw invalidReference(label, `the reference to '${ref.entry}' is listed twice`);
      seen.add(key);
      if (ref.import === undefined) {
        if (ref.entry === label) throw invalidReference(label, 'an entry must not reference itself');
        const target: PolicyEntry | undefined = Object.prototype.hasOwnProperty.call(policy.entries, ref.entry) ? policy.entries[ref.entry] : undefined;
        if (target === undefined) throw invalidReference(label, `the referenced entry '${ref.entry}' does not exist`);
        if (target.importable === 'never') throw invalidReference(label, `the referenced entry '${ref.entry}' is importable=never`);
      } else if (policy.imports?.[ref.import] === undefined) {
        throw invalidReference(label, `the referenced policy '${ref.import}' is not imported`);
      }
    }
  }
}

function localReferrer(policy: Policy, label: string): string | undefined {
  return Object.entries(policy.entries).find(([, e]) => e.references?.some((r) => r.import === undefined && r.entry === label))?.[0];
}

function importReferenced(policy: Policy, importedId: string, labels?: readonly string[]): boolean {
  return Object.values(policy.entries).some((e) => e.references?.some((r) => r.import === importedId && (labels === undefined || labels.includes(r.entry))));
}

/** [ditto: checkLabelNarrowingDoesNotOrphan] dropping labels from an import must not orphan references. */
function checkNarrowing(before: Policy, policyId: string, importedId: string, newLabels: readonly string[] | undefined): void {
  const old = before.imports?.[importedId]?.entries ?? [];
  const removed = old.filter((l) => !(newLabels ?? []).includes(l));
  if (removed.length > 0 && importReferenced(before, importedId, removed)) {
    throw new DittoError('policies:import.referenceconflict', { policyId, importedPolicyId: importedId });
  }
}

function labelsWritten(r: PolicyResource, policy: Policy): string[] {
  if (r.kind === 'policy' || r.kind === 'entries') return Object.keys(policy.entries);
  return r.kind === 'entry' || r.kind === 'references' ? [r.label] : [];
}

function conflicts(cmd: PolicyCommand, before: Policy, write: ValidatedWrite): void {
  const r = cmd.resource;
  if (r.kind === 'importable' && write.value === 'never') {
    const referrer = localReferrer(before, r.label);
    if (referrer !== undefined) throw new DittoError('policies:entry.referenceconflict', { policyId: cmd.policyId, label: r.label, referencingLabel: referrer });
  } else if (r.kind === 'imports' && isJsonObject(write.value)) {
    for (const id of Object.keys(before.imports ?? {})) {
      const kept = write.value[id];
      if (kept === undefined && importReferenced(before, id)) throw new DittoError('policies:import.referenceconflict', { policyId: cmd.policyId, importedPolicyId: id });
      if (isJsonObject(kept)) checkNarrowing(before, cmd.policyId, id, kept['entries'] as string[] | undefined);
    }
  } else if (r.kind === 'import' && isJsonObject(write.value) && before.imports?.[r.importedPolicyId] !== undefined) {
    checkNarrowing(before, cmd.policyId, r.importedPolicyId, write.value['entries'] as string[] | undefined);
  } else if (r.kind === 'importEntries') {
    checkNarrowing(before, cmd.policyId, r.importedPolicyId, write.value as string[]);
  }
}

function requireParent(state: StoredEntity, cmd: PolicyCommand): void {
  const r = cmd.resource;
  if ('label' in r && r.kind !== 'entry' && getAt(state.data, ['entries', r.label]) === undefined) {
    throw new DittoError('policies:entry.notfound', { policyId: cmd.policyId, label: r.label });
  }
  if ((r.kind === 'importEntries' || r.kind === 'transitiveImports') && getAt(state.data, ['imports', r.importedPolicyId]) === undefined) {
    throw policyNotFound(cmd.policyId, r);
  }
}

function finish(cmd: PolicyCommand, data: JsonObject, ctx: PolicyDecideContext): { policy: Policy; data: JsonObject } {
  const policy = validatePolicyJson(data, cmd.policyId);
  if (LOCKOUT_CHECKED.has(cmd.resource.kind) && !keepsPolicyManager(policy)) throw lockoutError(cmd.policyId, cmd.resource);
  const canonical = canonicalPolicyJson(policy);
  checkSize(canonical, ctx);
  return { policy, data: canonical };
}

/** A whole new policy (PUT of a missing policy, POST, protocol create). */
export function decidePolicyCreate(previous: StoredEntity | undefined, cmd: PolicyCommand, policyJson: JsonObject, ctx: PolicyDecideContext): PolicyDecision {
  const { policy, data } = finish(cmd, policyJson, ctx);
  checkReferences(policy, Object.keys(policy.entries));
  const revision = (previous?.revision ?? 0) + 1;
  const e = event(cmd, { kind: 'policy' }, 'created', [], revision, ctx, data);
  return { event: e, next: nextEntity(previous, cmd.policyId, revision, ctx, data), status: 201, value: data };
}

/** A modify of an existing policy at the command's path. */
export function decidePolicyModify(state: StoredEntity, cmd: PolicyCommand, write: ValidatedWrite, ctx: PolicyDecideContext): PolicyDecision {
  requireParent(state, cmd);
  const before = validatePolicyJson(state.data, cmd.policyId);
  conflicts(cmd, before, write);
  const previous = getAt(state.data, write.path);
  const raw = write.path.length === 0 ? (write.value as JsonObject) : setAt(state.data, write.path, write.value);
  const { policy, data } = finish(cmd, raw, ctx);
  checkReferences(policy, labelsWritten(cmd.resource, policy));
  const revision = state.revision + 1;
  const r = cmd.resource;
  const created = CREATABLE.has(r.kind) && previous === undefined;
  const value = getAt(data, write.path) ?? write.value;
  const e = event(cmd, r, created ? 'created' : 'modified', write.path, revision, ctx, value);
  const next = nextEntity(state, cmd.policyId, revision, ctx, data);
  // [ditto: ModifyPolicyEntryReferencesStrategy] references set where there were none count as created.
  const referencesCreated = r.kind === 'references' && (!Array.isArray(previous) || previous.length === 0) && Array.isArray(value) && value.length > 0;
  if (created || referencesCreated) return { event: e, next, status: 201, value };
  return { event: e, next, status: 204 };
}

/** A delete at the command's path; undefined when there is nothing to change (no event, still 204). */
export function decidePolicyDelete(state: StoredEntity, cmd: PolicyCommand, ctx: PolicyDecideContext): PolicyDecision | undefined {
  const r = cmd.resource;
  const revision = state.revision + 1;
  if (r.kind === 'policy') {
    const e = event(cmd, r, 'deleted', [], revision, ctx);
    return { event: e, next: { ...nextEntity(state, cmd.policyId, revision, ctx, {}), created: state.created, deleted: true }, status: 204 };
  }
  requireParent(state, cmd);
  const before = validatePolicyJson(state.data, cmd.policyId);
  const current = getAt(state.data, cmd.path);
  switch (r.kind) {
    case 'entry': {
      if (current === undefined) throw policyNotFound(cmd.policyId, r);
      const referrer = localReferrer(before, r.label);
      if (referrer !== undefined) throw new DittoError('policies:entry.referenceconflict', { policyId: cmd.policyId, label: r.label, referencingLabel: referrer });
      break;
    }
    case 'subject':
    case 'resource':
    case 'import':
      if (current === undefined) throw policyNotFound(cmd.policyId, r);
      if (r.kind === 'import' && importReferenced(before, r.importedPolicyId)) {
        throw new DittoError('policies:import.referenceconflict', { policyId: cmd.policyId, importedPolicyId: r.importedPolicyId });
      }
      break;
    case 'allowedAdditions':
      if (current === undefined) return undefined;
      break;
    case 'imports':
      for (const id of Object.keys(before.imports ?? {})) {
        if (importReferenced(before, id)) throw new DittoError('policies:import.referenceconflict', { policyId: cmd.policyId, importedPolicyId: id });
      }
      break;
    case 'references':
      break;
    default:
      throw new DittoError('internalerror');
  }
  const raw = r.kind === 'imports' ? setAt(state.data, ['imports'], {}) : deleteAt(state.data, cmd.path);
  const { data } = finish(cmd, raw, ctx);
  const e = event(cmd, r, 'deleted', cmd.path, revision, ctx);
  return { event: e, next: nextEntity(state, cmd.policyId, revision, ctx, data), status: 204 };
}
