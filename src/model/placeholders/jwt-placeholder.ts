import { isJsonObject, type JsonValue } from '../json.ts';
import { parsePointer } from '../json-pointer.ts';
import type { PlaceholderLookup } from './pipeline-functions.ts';

/** Ditto's string form of a JSON value: strings bare, everything else as JSON. */
function asText(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function collect(v: JsonValue, pointer: readonly string[], i: number, out: Set<string>): void {
  if (i === pointer.length) {
    if (Array.isArray(v)) for (const item of v) out.add(asText(item));
    else out.add(asText(v));
    return;
  }
  // An array on the way applies the rest of the pointer to each of its elements.
  if (Array.isArray(v)) {
    for (const item of v) collect(item, pointer, i, out);
    return;
  }
  const key = pointer[i] ?? '';
  if (isJsonObject(v) && Object.prototype.hasOwnProperty.call(v, key)) collect(v[key] as JsonValue, pointer, i + 1, out);
}

/**
 * The values of `jwt:<claim pointer>` [ditto: basic-placeholders jwt]: `jwt:sub`, nested claims as
 * `jwt:extra/roles`; an array claim gives one value per element; duplicates are dropped.
 */
export function jwtClaimValues(claims: JsonValue, name: string): string[] {
  let pointer: readonly string[];
  try {
    pointer = parsePointer(name);
  } catch {
    return [];
  }
  const out = new Set<string>();
  collect(claims, pointer, 0, out);
  return [...out];
}

/** A lookup that knows the `jwt` prefix. */
export function jwtLookup(claims: JsonValue): PlaceholderLookup {
  return (prefix, name) => (prefix === 'jwt' ? jwtClaimValues(claims, name) : []);
}
