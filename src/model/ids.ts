import { DittoError } from './errors/index.ts';

/**
 * A namespaced entity ID (thing or policy): `<namespace>:<name>`. The namespace is everything
 * before the first colon (namespaces cannot hold one); the name may contain further colons.
 */
export interface NamespacedId {
  readonly namespace: string;
  readonly name: string;
  /** The whole ID, `namespace + ':' + name`. */
  readonly id: string;
}

export type EntityKind = 'thing' | 'policy';

/** [ditto: basic-namespaces-and-names] Whole IDs (and JSON keys) count at most 256 UTF-16 units. */
export const MAX_ID_LENGTH = 256;

/** Ditto's configured fallback when `default-namespace` is not set. */
export const DEFAULT_NAMESPACE = 'org.eclipse.ditto';

// [ditto: basic-namespaces-and-names] A namespace is empty, or segments joined by '.' or '-',
// each a letter followed by word characters. The separators and the segment alphabet are
// disjoint, so the pattern cannot backtrack badly.
const NAMESPACE = /^(?:[a-zA-Z]\w*(?:[.-][a-zA-Z]\w*)*)?$/;

export function isValidNamespace(namespace: string): boolean {
  return NAMESPACE.test(namespace);
}

/**
 * [ditto: basic-namespaces-and-names] Entity names and JSON keys share one alphabet: non-empty,
 * no slash, nothing from U+0000-U+001F or U+007F-U+00FF (Latin-1 letters are out, anything above
 * U+00FF is in). A loop over code units is faster than a regex and needs no control-character
 * escapes.
 */
export function isNameText(text: string): boolean {
  const n = text.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || c === 0x2f || (c >= 0x7f && c <= 0xff)) return false;
  }
  return true;
}

export function isValidEntityName(name: string): boolean {
  return isNameText(name);
}

/** Splits and checks an ID; `undefined` when it breaks a rule. */
export function tryParseNamespacedId(text: string): NamespacedId | undefined {
  if (text.length > MAX_ID_LENGTH) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const namespace = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (!NAMESPACE.test(namespace) || !isNameText(name)) return undefined;
  return { namespace, name, id: text };
}

export function isValidEntityId(text: string): boolean {
  return tryParseNamespacedId(text) !== undefined;
}

/** Parses a thing ID or throws 400 `things:id.invalid`. */
export function parseThingId(text: string): NamespacedId {
  const parsed = tryParseNamespacedId(text);
  if (parsed === undefined) throw new DittoError('things:id.invalid', { thingId: text });
  return parsed;
}

/** Parses a policy ID or throws 400 `policies:id.invalid`. */
export function parsePolicyId(text: string): NamespacedId {
  const parsed = tryParseNamespacedId(text);
  if (parsed === undefined) throw new DittoError('policies:id.invalid', { policyId: text });
  return parsed;
}

export function parseEntityId(kind: EntityKind, text: string): NamespacedId {
  return kind === 'thing' ? parseThingId(text) : parsePolicyId(text);
}

/**
 * [ditto: DefaultNamespaceAppender] On creation an ID with an empty namespace (`:my-thing`) gets
 * the configured default namespace. The result is checked again: the longer ID may now exceed
 * the length limit, which Ditto also reports as an invalid ID.
 */
export function withDefaultNamespace(id: NamespacedId | string, defaultNamespace: string, kind: EntityKind = 'thing'): NamespacedId {
  const parsed = typeof id === 'string' ? parseEntityId(kind, id) : id;
  if (parsed.namespace !== '') return parsed;
  return parseEntityId(kind, `${defaultNamespace}:${parsed.name}`);
}
