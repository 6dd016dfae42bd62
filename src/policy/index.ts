export { PERMISSIONS, RESOURCE_TYPES, entryToJson, policyToJson } from './types.ts';
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
  validateEntriesJson, validateImportJson, validateImportsJson, validatePolicyEntryJson, validatePolicyJson,
  validateResourceJson, validateResourcesJson, validateSubjectJson, validateSubjectsJson,
} from './validate.ts';
export { compilePolicy } from './enforcer.ts';
export type { CompileOptions, PolicyEnforcer } from './enforcer.ts';
export { createDefaultPolicy } from './default-policy.ts';
