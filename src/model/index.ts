// The public surface of the pure model layer, named one by one.

export { ERROR_CATALOGUE, DittoError, isDittoError } from './errors/index.ts';
export type { ErrorCode, ErrorSpec, DittoErrorJson, DittoErrorOptions, ErrorParams } from './errors/index.ts';

export { isJsonObject, jsonEquals } from './json.ts';
export type { JsonPrimitive, JsonValue, JsonObject, JsonArray } from './json.ts';

export { parsePointer, formatPointer, getAt, setAt, deleteAt } from './json-pointer.ts';
export type { Pointer } from './json-pointer.ts';

export {
  MAX_ID_LENGTH,
  DEFAULT_NAMESPACE,
  isValidNamespace,
  isNameText,
  isValidEntityName,
  isValidEntityId,
  tryParseNamespacedId,
  parseThingId,
  parsePolicyId,
  parseEntityId,
  withDefaultNamespace,
} from './ids.ts';
export type { NamespacedId, EntityKind } from './ids.ts';

export {
  MAX_JSON_KEY_LENGTH,
  FEATURE_ID_WILDCARD,
  isValidJsonKey,
  validateJsonKey,
  validateJsonKeys,
  validatePointerKeys,
  validateFeatureId,
  validateThingJsonKeys,
  validateFeaturesJsonKeys,
  setMember,
  hasMember,
} from './json-keys.ts';
export type { JsonKeyOptions } from './json-keys.ts';

export {
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_JSON_PARSE_LIMITS,
  jsonNestingDepth,
  parseJsonBounded,
  jsonByteLength,
} from './json-parse.ts';
export type { JsonParseLimits } from './json-parse.ts';

export { isValidDefinitionIdentifier, validateThingDefinition, validateFeatureDefinition } from './definition.ts';

export {
  parseFieldSelector,
  fieldSelectorPointers,
  fieldSelectorOf,
  expandFeatureWildcards,
  applyFieldSelector,
} from './field-selector.ts';
export type { FieldSelector, ApplyFieldSelectorOptions } from './field-selector.ts';

export {
  MAX_DELETION_REGEX_LENGTH,
  MAX_DELETION_REGEX_QUANTIFIERS,
  applyMergePatch,
  removeNullsForCreate,
  deletionRegexSource,
  isRegexDeletion,
  compileDeletionRegex,
  mergePatchTouchedPaths,
} from './merge-patch.ts';
