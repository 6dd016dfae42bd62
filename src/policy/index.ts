export { PERMISSIONS, RESOURCE_TYPES, canonicalEntryJson, canonicalPolicyJson, entryToJson, policyToJson } from './types.ts';
export type {
  AllowedAddition, EntryReference, Importable, Permission, Policy, PolicyEntry, PolicyImport, PolicySubject,
  ResourcePermissions, ResourceType,
} from './types.ts';
export {
  formatResourceKey, isValidNamespacePattern, namespaceMatches, parseResourceKey, validateLabel, validatePolicyId,
  validateSubjectId,
} from './names.ts';
export type { ResourceKey } from './names.ts';
export {
  validateAllowedAdditions, validateEntriesJson, validateImportable, validateImportJson, validateImportsJson,
  validateNamespaces, validatePolicyEntryJson, validatePolicyJson, validateReferences, validateResourceJson,
  validateResourcesJson, validateSubjectJson, validateSubjectsJson,
} from './validate.ts';
export { compilePolicy } from './enforcer.ts';
export type { CompileOptions, PolicyEnforcer } from './enforcer.ts';
export { createDefaultPolicy } from './default-policy.ts';
export { MAX_IMPORTS, MAX_TRANSITIVE_DEPTH, resolvePolicy } from './imports.ts';
export type { ImportResolution, PolicyLookup } from './imports.ts';
export { importedLabel, resolveEntryReferences } from './references.ts';
export { keepsPolicyManager } from './lockout.ts';
export { earliestExpiry, expiredSubjects, formatInstant, roundUpExpiry } from './expiry.ts';
export type { ExpiredSubject } from './expiry.ts';
export { hasPlaceholder, resolveSubjectIdPlaceholders } from './placeholders.ts';
export { announcementToJson, formatDittoDuration, parseAnnouncement, parseDittoDuration, roundUpDuration } from './announcement.ts';
export type { DittoDuration, SubjectAnnouncement } from './announcement.ts';
export { namespaceRootLabel, NO_NAMESPACE_ROOTS, parseNamespaceRoots, rootPoliciesFor } from './namespace-roots.ts';
export type { NamespaceRoots } from './namespace-roots.ts';
