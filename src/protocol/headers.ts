import { DittoError } from '../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.ts';
import type { DittoHeaders } from '../signals/index.ts';

/**
 * [ditto: DittoHeaderDefinition] The headers Ditto defines: the JSON type each has in a protocol
 * message, whether Ditto reads it from a client (`read`) and whether it shows it to one
 * (`write`). Headers Ditto does not define pass through both ways as strings
 * [ditto: protocol-specification custom headers].
 */
type HeaderType = 'string' | 'boolean' | 'integer' | 'array' | 'object';
interface HeaderDefinition {
  readonly type: HeaderType;
  readonly read: boolean;
  readonly write: boolean;
}

const S = 'string';
const B = 'boolean';
const I = 'integer';
const A = 'array';
const O = 'object';

// name: [type, read from external, write to external]
const TABLE: ReadonlyArray<readonly [string, HeaderType, boolean, boolean]> = [
  ['ditto-auth-context', O, false, false],
  ['correlation-id', S, true, true],
  ['response-required', B, true, true],
  ['ditto-dry-run', B, false, false],
  ['dry-run', B, true, true],
  ['ditto-read-subjects', A, false, false],
  ['ditto-read-revoked-subjects', A, false, false],
  ['content-type', S, true, true],
  ['accept', S, true, false],
  ['authorization', S, true, false],
  ['reply-to', S, true, true],
  ['channel', S, true, true],
  ['live-channel-timeout-strategy', S, true, false],
  ['ditto-origin', S, false, false],
  ['etag', S, false, true],
  ['if-match', S, true, false],
  ['if-none-match', S, true, false],
  ['if-equal', S, true, false],
  ['ditto-reply-target', I, false, false],
  ['divert-response-to-connection', S, true, false],
  ['divert-expected-response-types', S, true, false],
  ['diverted-response-from-connection', S, true, true],
  ['ditto-expected-response-types', A, false, false],
  ['ditto-inbound-payload-mapper', S, false, false],
  ['ditto-originator', S, false, true],
  ['requested-acks', A, true, true],
  ['declared-acks', A, true, false],
  ['timeout', S, true, true],
  ['ditto-entity-id', S, false, false],
  ['www-authenticate', S, false, true],
  ['location', S, true, true],
  ['ditto-connection-id', S, false, true],
  ['put-metadata', A, true, false],
  ['get-metadata', S, true, false],
  ['delete-metadata', S, true, false],
  ['ditto-metadata', O, false, true],
  ['allow-policy-lockout', B, true, false],
  ['ditto-weak-ack', B, false, true],
  ['ditto-event-journal-tags', A, false, false],
  ['ditto-sudo', B, false, false],
  ['ditto-retrieve-deleted', B, false, false],
  ['ditto-ackgregator-address', S, false, false],
  ['condition', S, true, false],
  ['live-channel-condition', S, true, false],
  ['live-channel-condition-matched', B, false, true],
  ['at-historical-revision', I, true, false],
  ['at-historical-timestamp', S, true, false],
  ['historical-headers', O, false, true],
  ['entity-revision', I, false, true],
  ['ditto-pre-defined-extra-fields', A, false, false],
  ['ditto-pre-defined-extra-fields-read-grant', O, false, false],
  ['ditto-partial-access-paths', O, false, false],
  ['ditto-pre-defined-extra-fields-object', O, false, false],
  ['merge-thing-patch-conditions', O, true, false],
  ['policy-view', S, true, false],
  ['ditto-policy-view-fields-selector', S, false, false],
];

const DEFINITIONS: ReadonlyMap<string, HeaderDefinition> = new Map(
  TABLE.map(([name, type, read, write]) => [name, { type, read, write }]),
);

/** [ditto: DittoAcknowledgementLabel] Ditto's own labels are never shown in `requested-acks`. */
const BUILT_IN_ACKS: ReadonlySet<string> = new Set(['twin-persisted', 'live-response', 'search-persisted']);

function invalidHeader(name: string, value: string, type: string): DittoError {
  return new DittoError('header.invalid', { header: name, value, type });
}

function parseJsonText(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

/** Checks a header Ditto reads against its type, as Ditto's header validators do. */
function check(name: string, value: string, type: HeaderType): void {
  switch (type) {
    case 'string':
      // [ditto: HeaderValueValidators.getNonEmptyValidator] an empty correlation ID is refused.
      if (name === 'correlation-id' && value === '') throw invalidHeader(name, value, 'non-empty string');
      return;
    case 'boolean':
      if (value !== 'true' && value !== 'false') throw invalidHeader(name, value, 'boolean');
      return;
    case 'integer':
      if (!/^-?\d{1,19}$/.test(value)) throw invalidHeader(name, value, 'integer');
      return;
    case 'array':
      if (!Array.isArray(parseJsonText(value))) throw invalidHeader(name, value, 'JSON array');
      return;
    case 'object':
      if (!isJsonObject(parseJsonText(value))) throw invalidHeader(name, value, 'JSON object');
      return;
  }
}

/**
 * The headers of a received protocol message as a signal carries them: names in lower case,
 * values as strings (non-string JSON in its compact text, as Ditto keeps it), the headers Ditto
 * defines but does not accept from clients (`ditto-*`, `etag`, ...) left out, the typed ones
 * checked (400 `header.invalid`). Of two names differing only in case, the later one wins.
 */
export function headersFromJson(json: JsonObject): DittoHeaders {
  const out: Record<string, string> = {};
  for (const key of Object.keys(json)) {
    const raw = json[key] as JsonValue;
    const name = key.toLowerCase();
    const def = DEFINITIONS.get(name);
    if (def !== undefined && !def.read) continue;
    const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
    if (def !== undefined) check(name, value, def.type);
    out[name] = value;
  }
  return out;
}

/** [ditto: DittoAckRequestsFilter] `requested-acks` without Ditto's built-in labels; undefined drops it. */
function externalAckRequests(value: string): JsonValue | undefined {
  // A JSON array, or the comma-separated list an HTTP request may give.
  const json = parseJsonText(value);
  const parsed = Array.isArray(json) ? json : json === undefined && value.trim() !== '' ? value.split(',').map((l) => l.trim()) : undefined;
  if (parsed === undefined) return undefined;
  const kept = parsed.filter((l) => typeof l === 'string' && l !== '' && !BUILT_IN_ACKS.has(l));
  return kept.length === 0 && parsed.length > 0 ? undefined : kept;
}

/** One header as Ditto writes it into a protocol message; undefined when it is not shown. */
function externalValue(name: string, value: string): JsonValue | undefined {
  const def = DEFINITIONS.get(name);
  if (def === undefined) return value;
  if (!def.write) return undefined;
  switch (def.type) {
    case 'string':
      return value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'integer': {
      const n = Number(value);
      return /^-?\d+$/.test(value) && Number.isSafeInteger(n) ? n : value;
    }
    case 'array':
      return name === 'requested-acks' ? externalAckRequests(value) : (parseJsonText(value) ?? value);
    case 'object':
      return parseJsonText(value) ?? value;
  }
}

/**
 * [ditto: HeaderTranslator.toExternalHeaders, AbstractDittoHeaders.toJson] The headers of a
 * signal as a protocol message shows them: internal ones left out, typed ones as JSON booleans,
 * numbers, arrays and objects. `contentType`, when given, replaces the signal's content type, as
 * Ditto's mappers do for the messages they produce.
 */
export function headersToJson(headers: DittoHeaders, contentType?: string): JsonObject {
  const out: JsonObject = {};
  for (const name in headers) {
    if (name === 'content-type' && contentType !== undefined) continue;
    const v = externalValue(name, headers[name] as string);
    if (v !== undefined) out[name] = v;
  }
  if (contentType !== undefined) out['content-type'] = contentType;
  return out;
}

/** `JSON.stringify(headersToJson(headers, contentType))`, written without the object in between. */
export function headersToText(headers: DittoHeaders, contentType?: string): string {
  let s = '';
  for (const name in headers) {
    if (name === 'content-type' && contentType !== undefined) continue;
    const v = externalValue(name, headers[name] as string);
    if (v !== undefined) s += `${s === '' ? '' : ','}${JSON.stringify(name)}:${JSON.stringify(v)}`;
  }
  if (contentType !== undefined) s += `${s === '' ? '' : ','}"content-type":${JSON.stringify(contentType)}`;
  return `{${s}}`;
}

export const CONTENT_TYPE_JSON = 'application/json';
export const CONTENT_TYPE_MERGE_PATCH = 'application/merge-patch+json';
/** [ditto: protocol-specification] The media type of a whole Ditto Protocol message. */
export const CONTENT_TYPE_DITTO = 'application/vnd.eclipse.ditto+json';
