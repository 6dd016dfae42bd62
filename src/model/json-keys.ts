import { DittoError } from './errors/index.ts';
import { isNameText, MAX_ID_LENGTH } from './ids.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './json.ts';
import type { Pointer } from './json-pointer.ts';

/** [ditto: JsonKeyValidator] Keys go through the same length check as IDs. */
export const MAX_JSON_KEY_LENGTH = MAX_ID_LENGTH;

/** [ditto: basic-feature] `*` stands for "every feature" in field selectors and RQL. */
export const FEATURE_ID_WILDCARD = '*';

export interface JsonKeyOptions {
  /** Keys for which this returns true are not checked (their values still are walked). */
  readonly skip?: (key: string, value: JsonValue) => boolean;
}

/**
 * [ditto: JsonKeyValidator] Attribute keys, feature IDs and property keys are non-empty, have no
 * slash and no character from U+0000-U+001F or U+007F-U+00FF, and are at most 256 long.
 */
export function isValidJsonKey(key: string): boolean {
  return key.length <= MAX_JSON_KEY_LENGTH && isNameText(key);
}

export function validateJsonKey(key: string): void {
  if (key.length > MAX_JSON_KEY_LENGTH) {
    throw new DittoError('json.key.invalid', { key }, { description: `A JSON key must not be longer than ${MAX_JSON_KEY_LENGTH} characters.` });
  }
  if (!isNameText(key)) throw new DittoError('json.key.invalid', { key });
}

/**
 * Checks every key of every object nested in `value` in one iterative walk (no recursion, so
 * depth cannot overflow the stack). Like Ditto, objects inside arrays are free-form and are not
 * checked: the rule guards keys that become resource paths, and array elements never do.
 */
export function validateJsonKeys(value: JsonValue, options: JsonKeyOptions = {}): void {
  if (!isJsonObject(value)) return;
  const skip = options.skip;
  const stack: JsonObject[] = [value];
  for (let obj = stack.pop(); obj !== undefined; obj = stack.pop()) {
    for (const key of Object.keys(obj)) {
      const child = obj[key] as JsonValue;
      if (skip === undefined || !skip(key, child)) {
        if (!isValidJsonKey(key)) validateJsonKey(key);
      }
      if (isJsonObject(child)) stack.push(child);
    }
  }
}

/** [ditto: JsonKeyValidator] Path segments below attributes/properties follow the key rules too. */
export function validatePointerKeys(pointer: Pointer): void {
  for (const key of pointer) if (!isValidJsonKey(key)) validateJsonKey(key);
}

/** A feature ID is a JSON key that is not the wildcard `*`. */
export function validateFeatureId(featureId: string): void {
  if (!isValidJsonKey(featureId)) validateJsonKey(featureId);
  if (featureId === FEATURE_ID_WILDCARD) {
    throw new DittoError('json.key.invalid', { key: featureId }, { description: "A feature ID must not be the wildcard '*'." });
  }
}

/**
 * Checks the keys of a thing body: attribute keys at any depth, feature IDs and everything inside
 * the features. Top-level fields are Ditto's own and special fields such as `_policy` hold policy
 * resource keys with slashes, so the walk starts below `attributes` and `features`.
 */
export function validateThingJsonKeys(thing: JsonObject, options: JsonKeyOptions = {}): void {
  const attributes = thing['attributes'];
  if (attributes !== undefined) validateJsonKeys(attributes, options);
  const features = thing['features'];
  if (features !== undefined) validateFeaturesJsonKeys(features, options);
}

/** Feature IDs (no `*`) and every key inside each feature. */
export function validateFeaturesJsonKeys(features: JsonValue, options: JsonKeyOptions = {}): void {
  if (!isJsonObject(features)) return;
  for (const featureId of Object.keys(features)) {
    const feature = features[featureId] as JsonValue;
    if (options.skip === undefined || !options.skip(featureId, feature)) validateFeatureId(featureId);
    validateJsonKeys(feature, options);
  }
}

/**
 * Sets an own enumerable member. A plain assignment with the key `__proto__` would replace the
 * object's prototype instead of adding the member, losing the value; JSON allows that key.
 */
export function setMember(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

export function hasMember(obj: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
