import { DittoError, type ErrorCode } from '../../model/errors/index.ts';
import type { PolicyResource, PolicyResourceKind } from '../../signals/index.ts';

// [ditto: PolicyCommandToAccessExceptionRegistry, PolicyCommandToModifyExceptionRegistry] each
// resource has its own "not found" and "not modifiable" code; the entry-level parts (importable,
// namespaces, ...) share the entry's, the parts of an import share the import's.
const NOT_FOUND: Readonly<Record<PolicyResourceKind, ErrorCode>> = {
  policy: 'policies:policy.notfound',
  entries: 'policies:policy.notfound',
  entry: 'policies:entry.notfound',
  subjects: 'policies:subjects.notfound',
  subject: 'policies:subject.notfound',
  resources: 'policies:resources.notfound',
  resource: 'policies:resource.notfound',
  importable: 'policies:entry.notfound',
  namespaces: 'policies:entry.notfound',
  allowedAdditions: 'policies:entry.notfound',
  references: 'policies:entry.notfound',
  imports: 'policies:imports.notfound',
  import: 'policies:import.notfound',
  importEntries: 'policies:import.notfound',
  transitiveImports: 'policies:import.notfound',
};

const NOT_MODIFIABLE: Readonly<Record<PolicyResourceKind, ErrorCode>> = {
  policy: 'policies:policy.notmodifiable',
  entries: 'policies:policy.notmodifiable',
  entry: 'policies:entry.notmodifiable',
  subjects: 'policies:subjects.notmodifiable',
  subject: 'policies:subject.notmodifiable',
  resources: 'policies:resources.notmodifiable',
  resource: 'policies:resource.notmodifiable',
  importable: 'policies:entry.notmodifiable',
  namespaces: 'policies:entry.notmodifiable',
  allowedAdditions: 'policies:entry.notmodifiable',
  references: 'policies:entry.notmodifiable',
  imports: 'policies:imports.notmodifiable',
  import: 'policies:import.notmodifiable',
  importEntries: 'policies:import.notmodifiable',
  transitiveImports: 'policies:import.notmodifiable',
};

function params(policyId: string, r: PolicyResource): Record<string, string> {
  const p: Record<string, string> = { policyId };
  if ('label' in r) p['label'] = r.label;
  if ('subjectId' in r) p['subjectId'] = r.subjectId;
  if ('resourceKey' in r) p['resourceKey'] = r.resourceKey;
  if ('importedPolicyId' in r) p['importedPolicyId'] = r.importedPolicyId;
  return p;
}

/** 404: the resource is absent, or the caller may not know it exists. */
export function policyNotFound(policyId: string, r: PolicyResource): DittoError {
  return new DittoError(NOT_FOUND[r.kind], params(policyId, r));
}

/** 403: the caller may see the resource but not change it. */
export function policyNotModifiable(policyId: string, r: PolicyResource): DittoError {
  return new DittoError(NOT_MODIFIABLE[r.kind], params(policyId, r));
}

/**
 * 403: the change would leave nobody who can manage the policy [ditto: PoliciesValidator]; changes
 * inside one entry name the entry, changes of the policy or all entries name the policy.
 */
export function lockoutError(policyId: string, r: PolicyResource): DittoError {
  if ('label' in r) return new DittoError('policies:entry.modificationinvalid', { policyId, label: r.label });
  return new DittoError('policies:policy.modificationinvalid', { policyId });
}
