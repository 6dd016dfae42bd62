import type { Pointer } from '../model/json-pointer.ts';

/**
 * What a path inside a policy addresses. Paths are JSON paths into the policy where a subject ID
 * and a resource key are one segment each (`['entries', 'owner', 'resources', 'thing:/a/b']`);
 * Ditto names commands, events and errors after these resources.
 */
export type PolicyResource =
  | { readonly kind: 'policy' }
  | { readonly kind: 'entries' }
  | { readonly kind: 'entry'; readonly label: string }
  | { readonly kind: 'subjects'; readonly label: string }
  | { readonly kind: 'subject'; readonly label: string; readonly subjectId: string }
  | { readonly kind: 'resources'; readonly label: string }
  | { readonly kind: 'resource'; readonly label: string; readonly resourceKey: string }
  | { readonly kind: 'importable'; readonly label: string }
  | { readonly kind: 'namespaces'; readonly label: string }
  | { readonly kind: 'allowedAdditions'; readonly label: string }
  | { readonly kind: 'references'; readonly label: string }
  | { readonly kind: 'imports' }
  | { readonly kind: 'import'; readonly importedPolicyId: string }
  | { readonly kind: 'importEntries'; readonly importedPolicyId: string }
  | { readonly kind: 'transitiveImports'; readonly importedPolicyId: string };

export type PolicyResourceKind = PolicyResource['kind'];

const ENTRY_PARTS = ['subjects', 'resources', 'importable', 'namespaces', 'allowedAdditions', 'references'] as const;

function entryResource(label: string, part: string | undefined, key: string | undefined, depth: number): PolicyResource | undefined {
  if (part === undefined) return { kind: 'entry', label };
  if (part === 'subjects') {
    if (key === undefined) return { kind: 'subjects', label };
    return depth === 4 ? { kind: 'subject', label, subjectId: key } : undefined;
  }
  if (part === 'resources') {
    if (key === undefined) return { kind: 'resources', label };
    return depth === 4 ? { kind: 'resource', label, resourceKey: key } : undefined;
  }
  if (key !== undefined || !(ENTRY_PARTS as readonly string[]).includes(part)) return undefined;
  return { kind: part as 'importable' | 'namespaces' | 'allowedAdditions' | 'references', label };
}

/** Classifies a path inside a policy; undefined for paths Ditto has no command for. */
export function classifyPolicyPath(path: Pointer): PolicyResource | undefined {
  const [top, id, part, key] = path;
  if (top === undefined) return { kind: 'policy' };
  if (top === 'entries') {
    if (id === undefined) return { kind: 'entries' };
    return entryResource(id, part, key, path.length);
  }
  if (top === 'imports') {
    if (id === undefined) return { kind: 'imports' };
    if (part === undefined) return { kind: 'import', importedPolicyId: id };
    if (path.length !== 3) return undefined;
    if (part === 'entries') return { kind: 'importEntries', importedPolicyId: id };
    if (part === 'transitiveImports') return { kind: 'transitiveImports', importedPolicyId: id };
  }
  return undefined;
}

/**
 * The path of the `policy:` resource a command is checked against. A resource key contains
 * slashes of its own; as a permission path it continues the path segment by segment.
 */
export function policyPermissionPath(path: Pointer): string[] {
  const [top, , part, key] = path;
  if (top === 'entries' && part === 'resources' && key !== undefined) {
    return [...path.slice(0, 3), ...key.split('/').filter((s) => s !== '')];
  }
  return [...path];
}

/** The Ditto name of a resource in command type names (`modifyPolicyEntry`, `retrieveSubjects`). */
export const POLICY_RESOURCE_NAMES: Readonly<Record<PolicyResourceKind, string>> = {
  policy: 'Policy',
  entries: 'PolicyEntries',
  entry: 'PolicyEntry',
  subjects: 'Subjects',
  subject: 'Subject',
  resources: 'Resources',
  resource: 'Resource',
  importable: 'PolicyEntryImportable',
  namespaces: 'PolicyEntryNamespaces',
  allowedAdditions: 'PolicyEntryAllowedAdditions',
  references: 'PolicyEntryReferences',
  imports: 'PolicyImports',
  import: 'PolicyImport',
  importEntries: 'PolicyImportEntries',
  transitiveImports: 'PolicyImportTransitiveImports',
};
