// Entry references: an entry that names other entries inherits their subjects, resources and
// namespaces [ditto: basic-policy "Entry references"]. Resolution is one level deep.

import type { AllowedAddition, Permission, Policy, PolicyEntry, PolicySubject, ResourcePermissions } from './types.ts';

/** Entries in resolution order; labels are unique within one list. */
export type EntryList = readonly (readonly [string, PolicyEntry])[];

/** The label an entry of `policyId` carries once imported [ditto: basic-policy-imports]. */
export function importedLabel(policyId: string, label: string): string {
  return `imported-${policyId}-${label}`;
}

function union(a: readonly Permission[], b: readonly Permission[]): Permission[] {
  const out = [...a];
  for (const p of b) if (!out.includes(p)) out.push(p);
  return out;
}

function mergeResources(into: Map<string, ResourcePermissions>, from: Readonly<Record<string, ResourcePermissions>>): void {
  for (const [key, perms] of Object.entries(from)) {
    const have = into.get(key);
    // Overlapping resources keep the union of grants and of revokes: a referenced revoke stays.
    into.set(key, have === undefined ? perms : { grant: union(have.grant, perms.grant), revoke: union(have.revoke, perms.revoke) });
  }
}

function mergeSubjects(into: Map<string, PolicySubject>, from: Readonly<Record<string, PolicySubject>>): void {
  // The first instance of a subject ID wins.
  for (const [id, subject] of Object.entries(from)) if (!into.has(id)) into.set(id, subject);
}

function mergeNamespaces(into: string[], from: readonly string[] | undefined): void {
  for (const ns of from ?? []) if (!into.includes(ns)) into.push(ns);
}

function lookup(owner: Policy, resolved: EntryList, ref: { readonly entry: string; readonly import?: string }): PolicyEntry | undefined {
  if (ref.import === undefined) {
    return Object.prototype.hasOwnProperty.call(owner.entries, ref.entry) ? owner.entries[ref.entry] : undefined;
  }
  const label = importedLabel(ref.import, ref.entry);
  return resolved.find(([l]) => l === label)?.[1];
}

/**
 * The entry `own` of `owner` with its references merged in. Local references see the raw entries
 * of `owner`; import references see `resolved` (entries already imported, under their imported
 * labels). Missing targets and `importable: never` targets contribute nothing. `allowedAdditions`
 * of the targets (the strictest across all of them) limits what the entry adds on its own.
 */
export function resolveEntryReferences(owner: Policy, resolved: EntryList, own: PolicyEntry): PolicyEntry {
  const refs = own.references ?? [];
  if (refs.length === 0) return own;
  const resources = new Map<string, ResourcePermissions>();
  const subjects = new Map<string, PolicySubject>();
  const namespaces: string[] = [];
  let allowed: AllowedAddition[] | undefined;
  for (const ref of refs) {
    const target = lookup(owner, resolved, ref);
    if (target === undefined || target.importable === 'never') continue;
    mergeResources(resources, target.resources);
    mergeNamespaces(namespaces, target.namespaces);
    mergeSubjects(subjects, target.subjects);
    if (target.allowedAdditions !== undefined) {
      allowed = allowed === undefined ? [...target.allowedAdditions] : allowed.filter((a) => target.allowedAdditions?.includes(a));
    }
  }
  const may = (a: AllowedAddition): boolean => allowed === undefined || allowed.includes(a);
  if (may('resources')) mergeResources(resources, own.resources);
  if (may('subjects')) mergeSubjects(subjects, own.subjects);
  if (may('namespaces')) mergeNamespaces(namespaces, own.namespaces);
  const out: { -readonly [K in keyof PolicyEntry]: PolicyEntry[K] } = {
    subjects: Object.fromEntries(subjects),
    resources: Object.fromEntries(resources),
    references: refs,
  };
  if (namespaces.length > 0) out.namespaces = namespaces;
  if (own.importable !== undefined) out.importable = own.importable;
  if (allowed !== undefined) out.allowedAdditions = allowed;
  return out;
}

/** `resolved` with every entry of `owner` that has references replaced by its merged form. */
export function resolveReferences(owner: Policy, resolved: EntryList): EntryList {
  const replaced = new Map<string, PolicyEntry>();
  for (const [label, entry] of Object.entries(owner.entries)) {
    if ((entry.references?.length ?? 0) > 0) replaced.set(label, resolveEntryReferences(owner, resolved, entry));
  }
  if (replaced.size === 0) return resolved;
  return resolved.map(([label, entry]) => [label, replaced.get(label) ?? entry] as const);
}
