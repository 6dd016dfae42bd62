// Syntax rules for the names a policy is made of: policy IDs, entry labels, subject IDs,
// resource keys and namespace patterns. Each check throws the DittoError Ditto answers with.

import { DittoError } from '../model/errors/index.ts';
import { isValidNamespace, parsePolicyId } from '../model/ids.ts';
import type { Pointer } from '../model/json-pointer.ts';
import type { ResourceType } from './types.ts';

// [ditto: basic-namespaces-and-names] U+0000-U+001F and U+007F-U+00FF count as control characters
// everywhere in Ditto's names (so Latin-1 letters are rejected, characters above U+00FF are not).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001F\u007F-\u00FF]/;

export function hasControlChars(text: string): boolean {
  return CONTROL_CHARS.test(text);
}

export function validatePolicyId(id: string): void {
  parsePolicyId(id);
}

// [ditto: basic-policy-imports] Imported entries are shown as `imported-<policyId>-<label>` and
// namespace root entries as `nsimported-...`; own labels must not be mistaken for them.
const RESERVED_LABEL_PREFIXES = ['imported', 'nsimported'];

export function validateLabel(label: string): void {
  if (label === '' || RESERVED_LABEL_PREFIXES.some((p) => label.startsWith(p))) {
    throw new DittoError('policies:label.invalid', { label });
  }
  // Ditto answers a slash or control character in a label with the entry error, not the label one.
  if (label.includes('/') || hasControlChars(label)) {
    throw new DittoError('policies:entry.invalid', { label, reason: 'a label must not contain slashes or control characters' });
  }
}

// [ditto: basic-placeholders] `{{ request:subjectId }}` and the legacy `${request.subjectId}` contain
// colons of their own, so a subject with a placeholder needs no issuer.
const PLACEHOLDER = /\{\{.*\}\}|\$\{.*\}/;

/** The index of the `:` separating issuer and subject; a `://` (URL-like issuer) is skipped once. */
function issuerDelimiter(id: string): number {
  const url = id.indexOf('://');
  if (url >= 0) {
    const after = id.indexOf(':', url + 3);
    if (after >= 0) return after;
  }
  return id.indexOf(':');
}

export function validateSubjectId(subjectId: string): void {
  const invalid = (): DittoError => new DittoError('policies:subjectid.invalid', { subjectId });
  if (subjectId === '' || hasControlChars(subjectId)) throw invalid();
  if (PLACEHOLDER.test(subjectId)) return;
  const delimiter = issuerDelimiter(subjectId);
  if (delimiter < 0 || delimiter === subjectId.length - 1) throw invalid();
}

export interface ResourceKey {
  readonly type: ResourceType;
  readonly path: Pointer;
}

function isResourceType(t: string): t is ResourceType {
  return t === 'thing' || t === 'policy' || t === 'message';
}

/**
 * Parses `type:path` as written in a policy: `thing:`, `thing:/` and `thing` + `/` all mean the root,
 * a missing leading slash and a trailing slash are tolerated, a double slash is not.
 */
export function parseResourceKey(key: string, label: string): ResourceKey {
  if (hasControlChars(key)) {
    throw new DittoError('policies:entry.invalid', { label, reason: `the resource key '${key}' contains control characters` });
  }
  const colon = key.indexOf(':');
  if (colon < 0) {
    throw new DittoError('json.format.invalid', { reason: `the resource key '${key}' is not in the format 'type:path'` });
  }
  const type = key.slice(0, colon);
  if (!isResourceType(type)) {
    throw new DittoError('policies:entry.invalid', {
      label, reason: `the resource type '${type}' is unknown; use thing, policy or message`,
    });
  }
  const text = key.slice(colon + 1);
  if (text.includes('//')) throw new DittoError('json.pointer.invalid', { pointer: text });
  let s = text.startsWith('/') ? text.slice(1) : text;
  if (s.endsWith('/')) s = s.slice(0, -1);
  return { type, path: s === '' ? [] : s.split('/') };
}

/** The canonical key Ditto shows: `thing:/` for the root, `thing:/a/b` below it. */
export function formatResourceKey(type: ResourceType, path: Pointer): string {
  return `${type}:/${path.join('/')}`;
}

// [ditto: basic-policy namespaces] `com.acme` matches exactly that namespace, `com.acme.*` only
// the namespaces strictly below it; a pattern list that is empty applies everywhere.
export function isValidNamespacePattern(pattern: string): boolean {
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -2);
    return prefix !== '' && isValidNamespace(prefix);
  }
  return pattern !== '' && isValidNamespace(pattern);
}

export function namespaceMatches(patterns: readonly string[] | undefined, namespace: string): boolean {
  if (patterns === undefined || patterns.length === 0) return true;
  for (const p of patterns) {
    if (p.endsWith('.*') ? namespace.startsWith(p.slice(0, -1)) : namespace === p) return true;
  }
  return false;
}
