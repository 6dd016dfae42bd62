import { DittoError } from '../../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { parsePolicyId } from '../../model/ids.ts';
import { setMember, validateFeatureId, validateJsonKeys } from '../../model/json-keys.ts';
import { validateFeatureDefinition, validateThingDefinition } from '../../model/definition.ts';
import type { ThingResource } from '../../signals/index.ts';

function formatError(reason: string): DittoError {
  return new DittoError('json.format.invalid', { reason });
}

function objectOrNull(v: JsonValue, what: string): JsonObject | null {
  if (v === null) return null;
  if (!isJsonObject(v)) throw formatError(`${what} must be a JSON object`);
  validateJsonKeys(v);
  return v;
}

export function validateFeature(v: JsonValue, featureId: string): JsonObject {
  if (!isJsonObject(v)) throw formatError(`the feature '${featureId}' must be a JSON object`);
  const out: JsonObject = {};
  // [ditto: basic-feature] a feature holds definition, properties and desiredProperties only.
  if (v['definition'] !== undefined && v['definition'] !== null) out['definition'] = validateFeatureDefinition(v['definition']);
  if (v['properties'] !== undefined) out['properties'] = objectOrNull(v['properties'], 'properties');
  if (v['desiredProperties'] !== undefined) out['desiredProperties'] = objectOrNull(v['desiredProperties'], 'desiredProperties');
  return out;
}

export function validateFeatures(v: JsonValue): JsonObject {
  if (!isJsonObject(v)) throw formatError('features must be a JSON object');
  const out: JsonObject = {};
  for (const [id, f] of Object.entries(v)) {
    validateFeatureId(id);
    setMember(out, id, validateFeature(f, id));
  }
  return out;
}

/**
 * Validates a full thing body and returns it in Ditto's field order with only regular fields.
 * `_policy`, `_copyPolicyFrom` and other special fields are not part of the result.
 */
export function validateThing(v: JsonValue, thingId: string): JsonObject {
  if (!isJsonObject(v)) throw formatError('a thing must be a JSON object');
  const bodyId = v['thingId'];
  if (bodyId !== undefined && bodyId !== thingId) throw new DittoError('things:id.notsettable');
  const out: JsonObject = { thingId };
  const policyId = v['policyId'];
  if (policyId !== undefined) {
    if (typeof policyId !== 'string') throw formatError('policyId must be a string');
    out['policyId'] = parsePolicyId(policyId).id;
  }
  if (v['definition'] !== undefined) out['definition'] = validateThingDefinition(v['definition']);
  if (v['attributes'] !== undefined) out['attributes'] = objectOrNull(v['attributes'], 'attributes');
  if (v['features'] !== undefined) {
    out['features'] = v['features'] === null ? null : validateFeatures(v['features']);
  }
  return out;
}

/** Validates a value written at a sub-resource; returns the value to store. */
export function validateResourceValue(r: ThingResource, v: JsonValue, thingId: string): JsonValue {
  switch (r.kind) {
    case 'thing':
      return validateThing(v, thingId);
    case 'policyId':
      if (typeof v !== 'string') throw formatError('the policy ID must be a JSON string');
      return parsePolicyId(v).id;
    case 'definition':
      return validateThingDefinition(v);
    case 'attributes':
    case 'featureProperties':
    case 'featureDesiredProperties':
      if (!isJsonObject(v)) throw formatError('the value must be a JSON object');
      validateJsonKeys(v);
      return v;
    case 'attribute':
    case 'featureProperty':
    case 'featureDesiredProperty':
      for (const key of r.pointer) validateJsonKeys({ [key]: null });
      validateJsonKeys(v);
      return v;
    case 'features':
      return validateFeatures(v);
    case 'feature':
      validateFeatureId(r.featureId);
      return validateFeature(v, r.featureId);
    case 'featureDefinition':
      return validateFeatureDefinition(v);
  }
}

/** Puts a thing's regular fields in Ditto's order (thingId, policyId, definition, attributes, features). */
export function orderThing(t: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of ['thingId', 'policyId', 'definition', 'attributes', 'features']) {
    const v = t[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
