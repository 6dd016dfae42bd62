import { DittoError } from './errors/index.ts';
import type { JsonValue } from './json.ts';

// [ditto: basic-thing, basic-feature] `<namespace>:<name>:<version>`, each part from this
// alphabet. The parts cannot contain ':', so the match is unambiguous.
const IDENTIFIER = /^[_a-zA-Z0-9\-.]+:[_a-zA-Z0-9\-.]+:[_a-zA-Z0-9\-.]+$/;
const HTTP_PREFIX = /^https?:\/\//i;

/**
 * [ditto: basic-thing] A definition identifier is `<namespace>:<name>:<version>` or an HTTP(S)
 * URL with a host (WoT thing models are linked this way).
 */
export function isValidDefinitionIdentifier(text: string): boolean {
  return IDENTIFIER.test(text) || isHttpUrl(text);
}

function isHttpUrl(text: string): boolean {
  // The prefix test rejects `http:host` forms that the WHATWG parser would repair.
  if (!HTTP_PREFIX.test(text)) return false;
  try {
    return new URL(text).hostname !== '';
  } catch {
    return false;
  }
}

function invalid(value: JsonValue, description?: string): DittoError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new DittoError('things:definition.identifier.invalid', { value: shown }, description === undefined ? {} : { description });
}

/**
 * [ditto: basic-thing] A thing's `definition` is one identifier string, or null (PUT of `null`
 * is accepted and stored as a null definition). Returns the value to store.
 */
export function validateThingDefinition(value: JsonValue): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw invalid(value, 'The definition must be a JSON string.');
  if (!isValidDefinitionIdentifier(value)) throw invalid(value);
  return value;
}

/**
 * [ditto: basic-feature] A feature `definition` is a non-empty array of identifier strings
 * (`[]` is 400 `things:feature.definition.empty`). A body that is not an array is not parsable
 * as one (400 `json.invalid`); null stands for "no definition" as for PUT of `null`. The schema
 * asks for unique items but Ditto keeps duplicates when reading JSON, and so does this.
 */
export function validateFeatureDefinition(value: JsonValue): string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value)) throw new DittoError('json.invalid', { reason: `${JSON.stringify(value)} is not a JSON array.` });
  if (value.length === 0) throw new DittoError('things:feature.definition.empty');
  for (const item of value) {
    if (typeof item !== 'string') throw invalid(item, 'Each definition identifier must be a JSON string.');
    if (!isValidDefinitionIdentifier(item)) throw invalid(item);
  }
  return value as string[];
}
