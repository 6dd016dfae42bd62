// Request bodies of policy commands: validated per resource, normalised to the JSON Doppel stores,
// with `{{ request:subjectId }}` resolved and expiries rounded up [ditto: basic-policy].

import { DittoError } from '../../model/errors/index.ts';
import type { JsonObject, JsonValue } from '../../model/json.ts';
import type { Pointer } from '../../model/json-pointer.ts';
import {
  announcementToJson, parseAnnouncement, roundUpDuration,
  canonicalEntryJson, canonicalPolicyJson, entryToJson, formatInstant, formatResourceKey, MAX_IMPORTS, parseResourceKey,
  resolveSubjectIdPlaceholders, roundUpExpiry, validateAllowedAdditions, validateEntriesJson, validateImportable,
  validateImportJson, validateImportsJson, validateNamespaces, validatePolicyEntryJson, validatePolicyId, validatePolicyJson,
  validateReferences, validateResourceJson, validateResourcesJson, validateSubjectId, validateSubjectJson, validateSubjectsJson,
  type Policy, type PolicyEntry, type PolicyImport, type PolicySubject,
} from '../../policy/index.ts';
import type { PolicyCommand } from '../../signals/index.ts';

export interface ValueContext {
  /** The first authenticated subject, which `{{ request:subjectId }}` stands for. */
  readonly requestSubject: string | undefined;
  readonly nowMs: number;
  readonly expiryGranularityMs: number;
  /** `beforeExpiry` of announcements is rounded up to a multiple of this. */
  readonly announcementGranularityMs: number;
}

/** A validated write: where it goes (placeholders and resource keys normalised) and what. */
export interface ValidatedWrite {
  readonly path: Pointer;
  readonly value: JsonValue;
}

/** [ditto: AbstractPolicyCommandStrategy.roundSubjectAnnouncement] `beforeExpiry` rounded up to the announcement granularity. */
export function roundedAnnouncement(announcement: JsonObject, granularityMs: number): JsonObject {
  const a = parseAnnouncement(announcement);
  if (a.beforeExpiry === undefined) return announcement;
  return announcementToJson({ ...a, beforeExpiry: roundUpDuration(a.beforeExpiry, granularityMs) });
}

export function subject(s: PolicySubject, ctx: ValueContext): PolicySubject {
  const out = s.announcement === undefined ? s : { ...s, announcement: roundedAnnouncement(s.announcement, ctx.announcementGranularityMs) };
  if (out.expiry === undefined) return out;
  const rounded = roundUpExpiry(Date.parse(out.expiry), ctx.expiryGranularityMs);
  // [ditto: basic-policy expiring-subjects] an expiry already past (after rounding) is refused.
  if (rounded < ctx.nowMs) throw new DittoError('policies:subjectexpiry.invalid', { expiry: out.expiry });
  return { ...out, expiry: formatInstant(rounded) };
}

function subjects(all: Readonly<Record<string, PolicySubject>>, ctx: ValueContext): Record<string, PolicySubject> {
  return Object.fromEntries(Object.entries(all).map(([id, s]) => {
    const resolved = resolveSubjectIdPlaceholders(id, ctx.requestSubject);
    if (resolved !== id) validateSubjectId(resolved);
    return [resolved, subject(s, ctx)];
  }));
}

function entry(e: PolicyEntry, ctx: ValueContext): PolicyEntry {
  return { ...e, subjects: subjects(e.subjects, ctx) };
}

function subjectsJson(all: Readonly<Record<string, PolicySubject>>): JsonValue {
  return entryToJson({ subjects: all, resources: {} })['subjects'] ?? {};
}

function subjectJson(s: PolicySubject): JsonObject {
  const json: JsonObject = { type: s.type };
  if (s.expiry !== undefined) json['expiry'] = s.expiry;
  if (s.announcement !== undefined) json['announcement'] = structuredClone(s.announcement);
  return json;
}

function importJson(imp: PolicyImport): JsonObject {
  const out: JsonObject = {};
  if (imp.entries !== undefined) out['entries'] = [...imp.entries];
  if (imp.transitiveImports !== undefined) out['transitiveImports'] = [...imp.transitiveImports];
  return out;
}

/** [ditto: PolicyImportsValidator] a policy never imports itself, not even transitively. */
function checkImport(policyId: string, importedId: string, imp: PolicyImport): void {
  if (importedId === policyId) throw new DittoError('policies:import.invalid', { reason: 'a policy cannot import itself' });
  if (imp.transitiveImports?.includes(policyId) === true) {
    throw new DittoError('policies:import.invalid', { reason: "'transitiveImports' must not contain the importing policy's own ID" });
  }
}

export function checkImports(policyId: string, imports: Readonly<Record<string, PolicyImport>>): void {
  const count = Object.keys(imports).length;
  if (count > MAX_IMPORTS) throw new DittoError('policies:imports.toolarge', { policyId, count, max: MAX_IMPORTS });
  for (const [id, imp] of Object.entries(imports)) checkImport(policyId, id, imp);
}

/** The whole policy of a create or modify, adjusted. */
export function validatedPolicy(json: JsonValue | undefined, policyId: string, ctx: ValueContext): Policy {
  const parsed = validatePolicyJson(json, policyId);
  if (parsed.imports !== undefined) checkImports(policyId, parsed.imports);
  const entries = Object.fromEntries(Object.entries(parsed.entries).map(([label, e]) => [label, entry(e, ctx)]));
  return { ...parsed, entries };
}

function stringArray(value: JsonValue | undefined): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Validates the value of a modify command below the root and normalises it and its path. */
export function validatedWrite(cmd: PolicyCommand, ctx: ValueContext): ValidatedWrite {
  const r = cmd.resource;
  const v = cmd.value;
  const path = cmd.path;
  switch (r.kind) {
    case 'policy':
      return { path, value: canonicalPolicyJson(validatedPolicy(v, cmd.policyId, ctx)) };
    case 'entries':
      return { path, value: Object.fromEntries(Object.entries(validateEntriesJson(v)).map(([l, e]) => [l, canonicalEntryJson(entry(e, ctx))])) };
    case 'entry':
      return { path, value: canonicalEntryJson(entry(validatePolicyEntryJson(r.label, v), ctx)) };
    case 'subjects':
      return { path, value: subjectsJson(subjects(validateSubjectsJson(r.label, v), ctx)) };
    case 'subject': {
      const id = resolveSubjectIdPlaceholders(r.subjectId, ctx.requestSubject);
      const s = subject(validateSubjectJson(id, v), ctx);
      return { path: ['entries', r.label, 'subjects', id], value: subjectJson(s) };
    }
    case 'resources':
      return { path, value: entryToJson({ subjects: {}, resources: validateResourcesJson(r.label, v) })['resources'] ?? {} };
    case 'resource': {
      const key = parseResourceKey(r.resourceKey, r.label);
      const perms = validateResourceJson(r.label, r.resourceKey, v);
      return { path: ['entries', r.label, 'resources', formatResourceKey(key.type, key.path)], value: { grant: [...perms.grant], revoke: [...perms.revoke] } };
    }
    case 'importable':
      return { path, value: validateImportable(r.label, v) };
    case 'namespaces':
      return { path, value: validateNamespaces(r.label, v) };
    case 'allowedAdditions':
      return { path, value: validateAllowedAdditions(r.label, v) };
    case 'references':
      return { path, value: validateReferences(r.label, v).map((ref) => (ref.import === undefined ? { entry: ref.entry } : { import: ref.import, entry: ref.entry })) };
    case 'imports': {
      const imports = validateImportsJson(v);
      checkImports(cmd.policyId, imports);
      return { path, value: Object.fromEntries(Object.entries(imports).map(([id, imp]) => [id, importJson(imp)])) };
    }
    case 'import': {
      const imp = validateImportJson(r.importedPolicyId, v);
      checkImport(cmd.policyId, r.importedPolicyId, imp);
      return { path, value: importJson(imp) };
    }
    case 'importEntries': {
      const labels = validateImportJson(r.importedPolicyId, { entries: v ?? null }).entries ?? [];
      return { path, value: [...labels] };
    }
    case 'transitiveImports': {
      if (!stringArray(v)) throw new DittoError('policies:import.invalid', { reason: "'transitiveImports' must be an array of policy IDs" });
      v.forEach(validatePolicyId);
      checkImport(cmd.policyId, r.importedPolicyId, { transitiveImports: v });
      return { path, value: [...v] };
    }
  }
}
