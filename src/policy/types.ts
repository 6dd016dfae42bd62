// The policy model as Doppel holds it after validation: plain readonly data that serialises to
// exactly the JSON Ditto shows for a policy. Records keyed by user text (labels, subject IDs,
// resource keys) are always built with Object.fromEntries so a key like "__proto__" stays data.

import type { JsonObject } from '../model/json.ts';

export type Permission = 'READ' | 'WRITE' | 'EXECUTE';
export type ResourceType = 'thing' | 'policy' | 'message';

export const PERMISSIONS: readonly Permission[] = ['READ', 'WRITE', 'EXECUTE'];
export const RESOURCE_TYPES: readonly ResourceType[] = ['thing', 'policy', 'message'];

export interface PolicySubject {
  /** Free text documenting the subject; Ditto requires it but never interprets it. */
  readonly type: string;
  /** ISO-8601 instant after which the subject no longer counts. */
  readonly expiry?: string;
  readonly announcement?: JsonObject;
}

export interface ResourcePermissions {
  readonly grant: readonly Permission[];
  readonly revoke: readonly Permission[];
}

export type Importable = 'implicit' | 'explicit' | 'never';
export type AllowedAddition = 'subjects' | 'resources' | 'namespaces';

export interface EntryReference {
  readonly entry: string;
  readonly import?: string;
}

export interface PolicyEntry {
  /** Subject ID (`issuer:subject`) -> subject. */
  readonly subjects: Readonly<Record<string, PolicySubject>>;
  /** Normalised resource key (`thing:/attributes`, `policy:/`, ...) -> grants and revokes. */
  readonly resources: Readonly<Record<string, ResourcePermissions>>;
  readonly importable?: Importable;
  /** Namespace patterns (`com.acme` exact, `com.acme.*` strictly below); absent or empty = all. */
  readonly namespaces?: readonly string[];
  readonly references?: readonly EntryReference[];
  readonly allowedAdditions?: readonly AllowedAddition[];
}

export interface PolicyImport {
  readonly entries?: readonly string[];
  readonly transitiveImports?: readonly string[];
}

export interface Policy {
  readonly policyId: string;
  readonly entries: Readonly<Record<string, PolicyEntry>>;
  readonly imports?: Readonly<Record<string, PolicyImport>>;
}

/** The JSON form of a policy (what is stored and returned), as a fresh object owned by the caller. */
export function policyToJson(policy: Policy): JsonObject {
  const entries = Object.fromEntries(Object.entries(policy.entries).map(([label, e]) => [label, entryToJson(e)]));
  const out: JsonObject = { policyId: policy.policyId, entries };
  if (policy.imports !== undefined) {
    out['imports'] = Object.fromEntries(Object.entries(policy.imports).map(([id, imp]) => {
      const json: JsonObject = {};
      if (imp.entries !== undefined) json['entries'] = [...imp.entries];
      if (imp.transitiveImports !== undefined) json['transitiveImports'] = [...imp.transitiveImports];
      return [id, json];
    }));
  }
  return out;
}

export function entryToJson(entry: PolicyEntry): JsonObject {
  const subjects = Object.fromEntries(Object.entries(entry.subjects).map(([id, s]) => {
    const json: JsonObject = { type: s.type };
    if (s.expiry !== undefined) json['expiry'] = s.expiry;
    if (s.announcement !== undefined) json['announcement'] = structuredClone(s.announcement);
    return [id, json];
  }));
  const resources = Object.fromEntries(Object.entries(entry.resources).map(([key, r]) =>
    [key, { grant: [...r.grant], revoke: [...r.revoke] }]));
  const out: JsonObject = { subjects, resources };
  if (entry.namespaces !== undefined) out['namespaces'] = [...entry.namespaces];
  if (entry.importable !== undefined) out['importable'] = entry.importable;
  if (entry.references !== undefined) {
    out['references'] = entry.references.map((r) => (r.import === undefined ? { entry: r.entry } : { import: r.import, entry: r.entry }));
  }
  if (entry.allowedAdditions !== undefined) out['allowedAdditions'] = [...entry.allowedAdditions];
  return out;
}

/**
 * The JSON Ditto shows for a policy: `policyId`, `imports` (when the policy has any), then
 * `entries`, each entry with its `importable` type spelled out (`implicit` when not given).
 */
export function canonicalPolicyJson(policy: Policy): JsonObject {
  const out: JsonObject = { policyId: policy.policyId };
  const plain = policyToJson(policy);
  if (plain['imports'] !== undefined) out['imports'] = plain['imports'];
  out['entries'] = Object.fromEntries(Object.entries(policy.entries).map(([label, e]) => [label, canonicalEntryJson(e)]));
  return out;
}

/** One entry in Ditto's field order, `importable` always present. */
export function canonicalEntryJson(entry: PolicyEntry): JsonObject {
  const plain = entryToJson(entry);
  const out: JsonObject = { subjects: plain['subjects'] ?? {}, resources: plain['resources'] ?? {} };
  if (plain['namespaces'] !== undefined) out['namespaces'] = plain['namespaces'];
  out['importable'] = entry.importable ?? 'implicit';
  if (plain['allowedAdditions'] !== undefined) out['allowedAdditions'] = plain['allowedAdditions'];
  if (plain['references'] !== undefined) out['references'] = plain['references'];
  return out;
}
