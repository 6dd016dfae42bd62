// Structural validation of policy JSON into the Policy model, with the error codes Ditto uses.
// Only syntax is checked here; rules that need other state (lockout prevention, expiry in the
// past, number of imports, placeholder resolution) belong to the policies service.

import { DittoError } from '../model/errors/index.ts';
import { isJsonObject, type JsonObject } from '../model/json.ts';
import { announcementToJson, parseAnnouncement } from './announcement.ts';
import {
  formatResourceKey, isValidNamespacePattern, parseResourceKey, validateLabel, validatePolicyId, validateSubjectId,
} from './names.ts';
import type {
  AllowedAddition, EntryReference, Importable, Permission, Policy, PolicyEntry, PolicyImport, PolicySubject,
  ResourcePermissions,
} from './types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function formatError(reason: string): DittoError {
  return new DittoError('json.format.invalid', { reason });
}

function entryError(label: string, reason: string): DittoError {
  return new DittoError('policies:entry.invalid', { label, reason });
}

function stringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw formatError(`${what} must be an array of strings`);
  }
  return [...value];
}

/**
 * Validates a whole policy as sent in a request body. `policyId` is the ID the request addresses;
 * a `policyId` in the body must name the same policy.
 */
export function validatePolicyJson(json: unknown, policyId: string): Policy {
  validatePolicyId(policyId);
  if (!isJsonObject(json)) throw formatError('a policy must be a JSON object');
  const bodyId = json['policyId'];
  if (bodyId !== undefined) {
    if (typeof bodyId !== 'string') throw formatError("'policyId' must be a string");
    if (bodyId !== policyId) throw new DittoError('policies:id.notsettable');
  }
  const entries = json['entries'];
  if (entries === undefined) throw new DittoError('json.field.missing', { field: 'entries' });
  const policy: Mutable<Policy> = { policyId, entries: validateEntriesJson(entries) };
  if (json['imports'] !== undefined) policy.imports = validateImportsJson(json['imports']);
  return policy;
}

export function validateEntriesJson(json: unknown): Record<string, PolicyEntry> {
  if (!isJsonObject(json)) throw formatError("'entries' must be a JSON object");
  return Object.fromEntries(Object.keys(json).map((label) => [label, validatePolicyEntryJson(label, json[label])]));
}

/** Validates one entry, e.g. the body of PUT /policies/{id}/entries/{label}. */
export function validatePolicyEntryJson(label: string, json: unknown): PolicyEntry {
  validateLabel(label);
  if (!isJsonObject(json)) throw entryError(label, 'an entry must be a JSON object');
  // [ditto: basic-policy model] Both parts are mandatory, even when empty.
  if (json['subjects'] === undefined) throw entryError(label, "the entry has no 'subjects'");
  if (json['resources'] === undefined) throw entryError(label, "the entry has no 'resources'");
  const entry: Mutable<PolicyEntry> = {
    subjects: validateSubjectsJson(label, json['subjects']),
    resources: validateResourcesJson(label, json['resources']),
  };
  const { importable, namespaces, references, allowedAdditions } = json;
  if (importable !== undefined) entry.importable = validateImportable(label, importable);
  if (namespaces !== undefined) entry.namespaces = validateNamespaces(label, namespaces);
  if (references !== undefined) entry.references = validateReferences(label, references);
  if (allowedAdditions !== undefined) entry.allowedAdditions = validateAllowedAdditions(label, allowedAdditions);
  return entry;
}

export function validateSubjectsJson(label: string, json: unknown): Record<string, PolicySubject> {
  if (!isJsonObject(json)) throw entryError(label, "'subjects' must be a JSON object");
  return Object.fromEntries(Object.keys(json).map((id) => [id, validateSubjectJson(id, json[id])]));
}

// A permissive ISO-8601 date-time: date, 'T', time with optional fraction, then Z or an offset.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

export function validateSubjectJson(subjectId: string, json: unknown): PolicySubject {
  validateSubjectId(subjectId);
  if (!isJsonObject(json)) throw formatError(`the subject '${subjectId}' must be a JSON object`);
  const { type, expiry, announcement } = json;
  // [ditto: basic-policy model] `type` is required although it carries no meaning.
  if (type === undefined) throw new DittoError('json.field.missing', { field: 'type' });
  if (typeof type !== 'string') throw formatError(`the 'type' of the subject '${subjectId}' must be a string`);
  const subject: Mutable<PolicySubject> = { type };
  if (expiry !== undefined) {
    if (typeof expiry !== 'string' || !ISO_INSTANT.test(expiry) || Number.isNaN(Date.parse(expiry))) {
      throw new DittoError('policies:subjectexpiry.invalid', { expiry: typeof expiry === 'string' ? expiry : JSON.stringify(expiry) });
    }
    subject.expiry = expiry;
  }
  if (announcement !== undefined) {
    if (!isJsonObject(announcement)) throw formatError(`the 'announcement' of the subject '${subjectId}' must be a JSON object`);
    subject.announcement = announcementToJson(parseAnnouncement(announcement));
  }
  return subject;
}

export function validateResourcesJson(label: string, json: unknown): Record<string, ResourcePermissions> {
  if (!isJsonObject(json)) throw entryError(label, "'resources' must be a JSON object");
  // Keys are normalised (`thing:` -> `thing:/`); of two keys naming one resource the later wins,
  // as in a map keyed by resource.
  return Object.fromEntries(Object.keys(json).map((key) => {
    const { type, path } = parseResourceKey(key, label);
    return [formatResourceKey(type, path), validateResourceJson(label, key, json[key])];
  }));
}

export function validateResourceJson(label: string, key: string, json: unknown): ResourcePermissions {
  if (!isJsonObject(json)) throw formatError(`the permissions of the resource '${key}' must be a JSON object`);
  return { grant: permissionList(label, key, json, 'grant'), revoke: permissionList(label, key, json, 'revoke') };
}

function permissionList(label: string, key: string, json: JsonObject, effect: 'grant' | 'revoke'): Permission[] {
  const value = json[effect];
  // [ditto: basic-policy grant-revoke] Both lists are required; an empty list says "nothing".
  if (value === undefined) throw new DittoError('json.field.missing', { field: effect });
  const names = stringArray(value, `'${effect}' of the resource '${key}'`);
  const out: Permission[] = [];
  for (const name of names) {
    if (name !== 'READ' && name !== 'WRITE' && name !== 'EXECUTE') {
      throw entryError(label, `the permission '${name}' of the resource '${key}' is unknown; use READ, WRITE or EXECUTE`);
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

export function validateImportable(label: string, value: unknown): Importable {
  if (value === 'implicit' || value === 'explicit' || value === 'never') return value;
  throw entryError(label, "'importable' must be one of implicit, explicit or never");
}

export function validateNamespaces(label: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw entryError(label, "the 'namespaces' array must only contain strings");
  }
  for (const pattern of value) {
    if (!isValidNamespacePattern(pattern)) {
      throw entryError(label, `'${pattern}' is not a namespace pattern; use e.g. 'com.acme' or 'com.acme.*'`);
    }
  }
  return [...value];
}

export function validateReferences(label: string, value: unknown): EntryReference[] {
  if (!Array.isArray(value)) throw entryError(label, "'references' must be an array");
  return value.map((ref: unknown) => {
    if (!isJsonObject(ref) || typeof ref['entry'] !== 'string') {
      throw entryError(label, "each reference must be an object with a string 'entry'");
    }
    const imported = ref['import'];
    if (imported === undefined) return { entry: ref['entry'] };
    if (typeof imported !== 'string') throw entryError(label, "the 'import' of a reference must be a policy ID");
    validatePolicyId(imported);
    return { import: imported, entry: ref['entry'] };
  });
}

export function validateAllowedAdditions(label: string, value: unknown): AllowedAddition[] {
  if (!Array.isArray(value)) throw entryError(label, "'allowedAdditions' must be an array");
  return value.map((v: unknown) => {
    if (v === 'subjects' || v === 'resources' || v === 'namespaces') return v;
    throw entryError(label, "'allowedAdditions' may only contain subjects, resources and namespaces");
  });
}

export function validateImportsJson(json: unknown): Record<string, PolicyImport> {
  if (!isJsonObject(json)) throw formatError("'imports' must be a JSON object");
  return Object.fromEntries(Object.keys(json).map((id) => [id, validateImportJson(id, json[id])]));
}

export function validateImportJson(importedPolicyId: string, json: unknown): PolicyImport {
  validatePolicyId(importedPolicyId);
  if (!isJsonObject(json)) throw formatError(`the import of '${importedPolicyId}' must be a JSON object`);
  const out: Mutable<PolicyImport> = {};
  if (json['entries'] !== undefined) {
    const labels = stringArray(json['entries'], "'entries' of an import");
    labels.forEach(validateLabel);
    out.entries = labels;
  }
  if (json['transitiveImports'] !== undefined) {
    const ids = stringArray(json['transitiveImports'], "'transitiveImports' of an import");
    ids.forEach(validatePolicyId);
    out.transitiveImports = ids;
  }
  return out;
}
