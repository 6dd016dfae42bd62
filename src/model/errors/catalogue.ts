// Every Ditto error code Doppel can answer with, declared once.
// Codes and statuses are Ditto's API (clients key on them) and must match it exactly;
// messages and descriptions are Doppel's own words. `{name}` in a message is filled from the
// parameters given when the error is raised.

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
  readonly description?: string;
}

const notFoundHint = 'Check that the ID and path are right and that you may read the resource.';
const notModifiableHint = 'Check that you have WRITE permission on the resource.';

export const ERROR_CATALOGUE = {
  // generic
  'internalerror': { status: 500, message: 'An unexpected error occurred.', description: 'Please try again later; if the problem persists, contact the operator.' },
  'json.invalid': { status: 400, message: 'The body is not valid JSON: {reason}', description: 'Send a well-formed JSON document.' },
  'json.format.invalid': { status: 400, message: 'The JSON does not have the expected format: {reason}' },
  'json.field.missing': { status: 400, message: 'The JSON does not contain the required field <{field}>.' },
  'json.key.invalid': { status: 400, message: "The JSON key '{key}' is invalid.", description: 'Keys must not be empty and must not contain slashes or control characters.' },
  'json.pointer.invalid': { status: 400, message: "The JSON pointer '{pointer}' is invalid.", description: 'Pointers must not contain empty segments (double slashes).' },
  'json.fieldselector.invalid': { status: 400, message: "The field selector '{selector}' is invalid.", description: 'Use comma-separated JSON pointers, optionally grouped like a/b(c,d).' },
  'header.invalid': { status: 400, message: "The value '{value}' of the header '{header}' is not a valid {type}.", description: 'Check the header value.' },
  'header.notsupported': { status: 400, message: "The header '{header}' with value '{value}' is not supported on this resource.", },
  'headers.too.large': { status: 431, message: 'The headers are too large.', description: 'The Ditto headers of a request must not exceed {limit} bytes.' },
  'mediatype.unsupported': { status: 415, message: "The media type '{mediaType}' is not supported.", description: 'Supported media types: {supported}.' },
  'api.version.notsupported': { status: 404, message: "API version '{version}' is not supported.", description: 'Use API version 2.' },
  'timeout.invalid': { status: 400, message: 'The timeout <{value}> is outside the allowed range <0 - {max}>.' },
  'command.timeout': { status: 408, message: 'The command did not complete within the timeout of {timeoutMs}ms.' },
  'too.many.requests': { status: 429, message: 'Too many requests.', description: 'Slow down.' },
  'entity.notcreatable': { status: 403, message: 'The entity could not be created.' },
  'rql.expression.invalid': { status: 400, message: 'The RQL expression is invalid: {reason}', description: 'Check the RQL syntax.' },

  // gateway
  'gateway:authentication.failed': { status: 401, message: 'Authentication failed: {reason}', description: 'Provide valid credentials (HTTP Basic, a Bearer token, or pre-authentication where enabled).' },
  'gateway:duplicate.header.field': { status: 400, message: "The header '{header}' must be given exactly once." },
  'gateway:timeout.invalid': { status: 400, message: 'The timeout <{value}> is outside the allowed range <0ms - {maxMs}ms>.' },
  'gateway:service.unavailable': { status: 503, message: 'The service is unavailable right now.', description: 'Try again later.' },
  'gateway:internalerror': { status: 500, message: 'An internal error occurred in the gateway.' },
  'gateway:method.notallowed': { status: 405, message: "The method '{method}' is not allowed on this resource." },

  // things
  'things:thing.notfound': { status: 404, message: "The thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:thing.conflict': { status: 409, message: "The thing with ID '{thingId}' already exists.", description: 'Choose another ID or modify the existing thing.' },
  'things:thing.notcreatable': { status: 400, message: "The thing with ID '{thingId}' could not be created: {reason}", description: 'Check the policy ID, or reuse the existing policy by giving its policyId.' },
  'things:thing.notmodifiable': { status: 403, message: "You may not modify the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:thing.notdeletable': { status: 403, message: "You may not delete the thing with ID '{thingId}'.", description: 'Deleting a thing needs unrestricted WRITE on its root resource.' },
  'things:thing.toolarge': { status: 413, message: 'The thing would be {actualKb} kB, more than the {maxKb} kB allowed.', description: 'Make the thing smaller.' },
  'things:thing.toomanymodifyingrequests': { status: 429, message: "Too many modifications of the thing with ID '{thingId}' are waiting.", description: 'Slow down.' },
  'things:thing.unavailable': { status: 503, message: "The thing with ID '{thingId}' is not available right now.", description: 'Try again later.' },
  'things:id.invalid': { status: 400, message: "The thing ID '{thingId}' is not valid.", description: 'A thing ID is <namespace>:<name>: the namespace is dot- or dash-separated segments starting with a letter, the name has no slash or control characters, at most 256 characters in all.' },
  'things:id.notsettable': { status: 400, message: 'The thing ID in the body does not match the thing ID of the request.', description: 'Leave out thingId or make it match the resource path.' },
  'things:id.notdeletable': { status: 400, message: 'The thing ID of a thing cannot be deleted.' },
  'things:policyId.notfound': { status: 404, message: "The policy ID of the thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:policyId.notmodifiable': { status: 403, message: "You may not modify the policy ID of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:policyId.notdeletable': { status: 400, message: 'The policy ID of a thing cannot be deleted.' },
  'things:policy.notallowed': { status: 400, message: "The thing with ID '{thingId}' already exists, so no inline policy may be given.", description: 'Inline policies (_policy, _copyPolicyFrom) are only accepted when a thing is created.' },
  'things:policy.id.notallowed': { status: 400, message: "The thing with ID '{thingId}' names a policy ID together with a policy." },
  'things:policy.conflicting': { status: 400, message: "The thing with ID '{thingId}' has both an inline policy and a policy to copy.", description: 'Give either _policy or _copyPolicyFrom, not both.' },
  'things:policy.invalid': { status: 400, message: "The policy given for the thing with ID '{thingId}' is invalid: {reason}" },
  'things:policy.id.missing': { status: 400, message: "The thing with ID '{thingId}' has no policy ID." },
  'things:attribute.notfound': { status: 404, message: "The attribute '{key}' of the thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:attribute.notmodifiable': { status: 403, message: "You may not modify the attribute '{key}' of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:attribute.pointerinvalid': { status: 400, message: "The attribute pointer '{pointer}' is invalid." },
  'things:attributes.notfound': { status: 404, message: "The attributes of the thing with ID '{thingId}' were not found or you may not read them.", description: notFoundHint },
  'things:attributes.notmodifiable': { status: 403, message: "You may not modify the attributes of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:definition.notfound': { status: 404, message: "The definition of the thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:definition.notmodifiable': { status: 403, message: "You may not modify the definition of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:definition.identifier.invalid': { status: 400, message: "The definition identifier '{value}' is invalid.", description: 'Use <namespace>:<name>:<version> or an HTTP(S) URL.' },
  'things:features.notfound': { status: 404, message: "The features of the thing with ID '{thingId}' were not found or you may not read them.", description: notFoundHint },
  'things:features.notmodifiable': { status: 403, message: "You may not modify the features of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:feature.notfound': { status: 404, message: "The feature '{featureId}' of the thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:feature.notmodifiable': { status: 403, message: "You may not modify the feature '{featureId}' of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:feature.definition.notfound': { status: 404, message: "The definition of the feature '{featureId}' of the thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:feature.definition.notmodifiable': { status: 403, message: "You may not modify the definition of the feature '{featureId}' of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:feature.definition.empty': { status: 400, message: 'A feature definition must not be empty.', description: 'Give at least one definition identifier.' },
  'things:feature.properties.notfound': { status: 404, message: "The properties of the feature '{featureId}' of the thing with ID '{thingId}' were not found or you may not read them.", description: notFoundHint },
  'things:feature.properties.notmodifiable': { status: 403, message: "You may not modify the properties of the feature '{featureId}' of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:feature.property.notfound': { status: 404, message: "The property '{key}' of the feature '{featureId}' of the thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:feature.property.notmodifiable': { status: 403, message: "You may not modify the property '{key}' of the feature '{featureId}' of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:feature.desiredProperties.notfound': { status: 404, message: "The desired properties of the feature '{featureId}' of the thing with ID '{thingId}' were not found or you may not read them.", description: notFoundHint },
  'things:feature.desiredProperties.notmodifiable': { status: 403, message: "You may not modify the desired properties of the feature '{featureId}' of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:feature.desiredProperty.notfound': { status: 404, message: "The desired property '{key}' of the feature '{featureId}' of the thing with ID '{thingId}' was not found or you may not read it.", description: notFoundHint },
  'things:feature.desiredProperty.notmodifiable': { status: 403, message: "You may not modify the desired property '{key}' of the feature '{featureId}' of the thing with ID '{thingId}'.", description: notModifiableHint },
  'things:precondition.failed': { status: 412, message: "The precondition '{header}: {value}' does not hold for the thing resource (its entity tag is {etag}).", description: 'Fetch the resource again and retry with its current entity tag.' },
  'things:precondition.notmodified': { status: 304, message: "The resource still matches '{value}' (if-none-match)." },
  'things:condition.failed': { status: 412, message: "The condition '{condition}' does not hold for the thing with ID '{thingId}'.", description: 'The condition is evaluated against the current thing; make sure you may read the fields it uses.' },
  'things:condition.invalid': { status: 400, message: "The condition '{condition}' is invalid: {reason}", description: 'Write the condition in RQL.' },
  'things:live.channelcondition.notallowed': { status: 405, message: "'live-channel-condition' is only allowed on retrieving requests." },
  'things:merge.invalid': { status: 400, message: 'The merge patch is invalid: it must be an RFC 7396 JSON merge patch.', description: '{reason}' },
  'things:field.selection.invalid': { status: 400, message: "The field selection '{fields}' is invalid.", description: '{reason}' },
  'things:things.ids.missing': { status: 400, message: 'The list of thing IDs is missing or empty.', description: 'Give at least one thing ID in the ids parameter.' },

  // policies (as far as things need them now; the policies API extends this)
  'policies:policy.notfound': { status: 404, message: "The policy with ID '{policyId}' was not found or you may not read it.", description: notFoundHint },
  'policies:policy.conflict': { status: 409, message: "The policy with ID '{policyId}' already exists." },
  'policies:policy.notcreatable': { status: 403, message: "The policy with ID '{policyId}' could not be created: {reason}" },
  'policies:policy.notmodifiable': { status: 403, message: "You may not modify the policy with ID '{policyId}'.", description: notModifiableHint },
  'policies:policy.modificationinvalid': { status: 403, message: "The change to the policy with ID '{policyId}' would lock everyone out.", description: 'Keep WRITE on policy:/ for at least one subject.' },
  'policies:policy.toolarge': { status: 413, message: 'The policy would be {actualKb} kB, more than the {maxKb} kB allowed.' },
  'policies:policy.unavailable': { status: 503, message: "The policy with ID '{policyId}' is not available right now.", description: 'Try again later.' },
  'policies:id.invalid': { status: 400, message: "The policy ID '{policyId}' is not valid.", description: 'A policy ID is <namespace>:<name>, like a thing ID.' },
  'policies:id.notsettable': { status: 400, message: 'The policy ID in the body does not match the policy ID of the request.' },
  'policies:entry.invalid': { status: 400, message: "The policy entry '{label}' is invalid: {reason}" },
  'policies:label.invalid': { status: 400, message: "The policy label '{label}' is invalid.", description: 'Labels must not be empty, contain slashes or control characters, or start with imported.' },
  'policies:subjectexpiry.invalid': { status: 400, message: "The subject expiry '{expiry}' is invalid.", description: 'Give the expiry as an ISO-8601 timestamp, e.g. 2030-01-01T00:00:00Z.' },
  'policies:subjectid.invalid': { status: 400, message: "The subject ID '{subjectId}' is invalid.", description: 'A subject ID has the form <issuer>:<subject>.' },
  'policies:precondition.failed': { status: 412, message: "The precondition '{header}: {value}' does not hold for the policy resource (its entity tag is {etag})." },
  'policies:precondition.notmodified': { status: 304, message: "The resource still matches '{value}' (if-none-match)." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
