import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.ts';
import { DEFAULT_JSON_PARSE_LIMITS, parseJsonBounded, type JsonParseLimits } from '../model/json-parse.ts';
import { parseFieldSelector } from '../model/field-selector.ts';
import { DittoError } from '../model/errors/index.ts';
import type { DittoHeaders } from '../signals/index.ts';
import { headersFromJson, headersToJson, headersToText } from './headers.ts';
import { invalidField, missingField } from './protocol-errors.ts';
import { formatTopic, parseTopic, type Topic } from './topic.ts';

/**
 * [ditto: protocol-specification envelope] One Ditto Protocol message. `value: null` and no
 * value are different messages (a merge that deletes versus a retrieve), so `value` is absent
 * rather than null when the message has none.
 */
export interface Envelope {
  readonly topic: Topic;
  /** Lower-case names, string values: the signal's view (see headersFromJson). */
  readonly headers: DittoHeaders;
  /** Always starts with a slash; `/` is the whole entity. */
  readonly path: string;
  readonly value?: JsonValue;
  /** Field selector of retrieve and search commands. */
  readonly fields?: string;
  /** Enrichment: the `extraFields` selected for a subscription. */
  readonly extra?: JsonObject;
  /** HTTP status of responses, errors and acknowledgements. */
  readonly status?: number;
  /** Revision of events. */
  readonly revision?: number;
  /** Timestamp of events, ISO-8601, kept as written. */
  readonly timestamp?: string;
  readonly metadata?: JsonObject;
}

/**
 * [ditto: ImmutableTopicPath.newTopicOrPathPointer] Paths are read with or without a leading
 * slash and a trailing slash is dropped; written, they always lead with one.
 */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return '/';
  const lead = path.charCodeAt(0) === 0x2f ? path : `/${path}`;
  return lead.length > 1 && lead.charCodeAt(lead.length - 1) === 0x2f ? lead.slice(0, -1) : lead;
}

// Loose ISO-8601 date-time: Ditto reads timestamps with Instant.parse.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a protocol message from its text (bounded JSON parsing, 400 `json.invalid` for bad
 * JSON) or from an already parsed value. Errors are Ditto's: `json.field.missing` without topic
 * or path, `json.invalid` for a field of the wrong type, `protocoladapter:unknown.topicpath`
 * for a bad topic, `json.fieldselector.invalid`, `header.invalid`. Unknown fields are ignored.
 */
export function parseEnvelope(input: string | JsonValue, limits: JsonParseLimits = DEFAULT_JSON_PARSE_LIMITS): Envelope {
  return parseInto(input, limits, {});
}

/** What was read of a message before it turned out to be invalid. */
export interface EnvelopeFailure {
  readonly error: DittoError;
  /** The headers, or just the correlation ID when the headers themselves were invalid. */
  readonly headers: DittoHeaders;
  readonly topic?: Topic;
}

/**
 * Like parseEnvelope, but an invalid message yields its error together with the headers and
 * topic read so far: [ditto: ImmutableJsonifiableAdaptable] the error answer keeps the
 * message's correlation ID, and its topic when the topic was valid.
 */
export function tryParseEnvelope(
  input: string | JsonValue,
  limits: JsonParseLimits = DEFAULT_JSON_PARSE_LIMITS,
): { readonly envelope: Envelope } | EnvelopeFailure {
  const progress: Progress = {};
  try {
    return { envelope: parseInto(input, limits, progress) };
  } catch (e) {
    if (!(e instanceof DittoError)) throw e;
    const headers = progress.headers ?? {};
    return progress.topic === undefined ? { error: e, headers } : { error: e, headers, topic: progress.topic };
  }
}

interface Progress {
  headers?: DittoHeaders;
  topic?: Topic;
}

function parseInto(input: string | JsonValue, limits: JsonParseLimits, progress: Progress): Envelope {
  const json = typeof input === 'string' ? parseText(input, limits) : input;
  if (!isJsonObject(json)) throw new DittoError('json.invalid', { reason: 'a Ditto Protocol message must be a JSON object.' });
  const headers = readHeaders(json['headers'], progress);
  const topicText = json['topic'];
  if (topicText === undefined) throw missingField('topic');
  if (typeof topicText !== 'string') throw invalidField('topic', 'a string');
  const topic = parseTopic(topicText);
  progress.topic = topic;
  const path = json['path'];
  if (path === undefined) throw missingField('path');
  if (typeof path !== 'string') throw invalidField('path', 'a string');
  const out: { -readonly [K in keyof Envelope]: Envelope[K] } = { topic, headers, path: normalizePath(path) };
  const value = json['value'];
  if (value !== undefined) out.value = value;
  const fields = json['fields'];
  if (fields !== undefined) {
    if (typeof fields !== 'string') throw invalidField('fields', 'a string');
    parseFieldSelector(fields);
    out.fields = fields;
  }
  const extra = json['extra'];
  if (extra !== undefined) out.extra = objectField('extra', extra);
  const metadata = json['metadata'];
  if (metadata !== undefined) out.metadata = objectField('metadata', metadata);
  const status = json['status'];
  if (status !== undefined) {
    if (typeof status !== 'number' || !Number.isInteger(status)) throw invalidField('status', 'an integer');
    // [ditto: ImmutablePayload.fromJson] a number that is no HTTP status is dropped, not refused.
    if (status >= 100 && status <= 599) out.status = status;
  }
  const revision = json['revision'];
  if (revision !== undefined) {
    if (typeof revision !== 'number' || !Number.isSafeInteger(revision)) throw invalidField('revision', 'an integer');
    out.revision = revision;
  }
  const timestamp = json['timestamp'];
  if (timestamp !== undefined) {
    if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) throw invalidField('timestamp', 'an ISO-8601 timestamp');
    out.timestamp = timestamp;
  }
  return out;
}

function readHeaders(raw: JsonValue | undefined, progress: Progress): DittoHeaders {
  // [ditto: ImmutableJsonifiableAdaptable.fromJson] headers are optional despite the schema.
  if (raw === undefined) return (progress.headers = {});
  if (!isJsonObject(raw)) throw invalidField('headers', 'a JSON object');
  const correlationId = raw['correlation-id'];
  if (typeof correlationId === 'string' && correlationId !== '') progress.headers = { 'correlation-id': correlationId };
  return (progress.headers = headersFromJson(raw));
}

function parseText(text: string, limits: JsonParseLimits): JsonValue {
  // [ditto: WebSocketRoute] an empty frame is invalid JSON, not an empty object.
  if (text === '') throw new DittoError('json.invalid', { reason: 'the message is empty.' });
  return parseJsonBounded(text, limits);
}

function objectField(field: string, v: JsonValue): JsonObject {
  if (!isJsonObject(v)) throw invalidField(field, 'a JSON object');
  return v;
}

/** [ditto: ImmutableJsonifiableAdaptable.toJson] The message as JSON, fields in Ditto's order. */
export function envelopeToJson(e: Envelope): JsonObject {
  const out: JsonObject = { topic: formatTopic(e.topic), headers: headersToJson(e.headers), path: e.path };
  if (e.value !== undefined) out['value'] = e.value;
  if (e.extra !== undefined) out['extra'] = e.extra;
  if (e.status !== undefined) out['status'] = e.status;
  if (e.revision !== undefined) out['revision'] = e.revision;
  if (e.timestamp !== undefined) out['timestamp'] = e.timestamp;
  if (e.metadata !== undefined) out['metadata'] = e.metadata;
  if (e.fields !== undefined) out['fields'] = e.fields;
  return out;
}

/** The message as text, equal to `JSON.stringify(envelopeToJson(e))` without the object in between. */
export function envelopeToText(e: Envelope): string {
  let s = `{"topic":${JSON.stringify(formatTopic(e.topic))},"headers":${headersToText(e.headers)},"path":${JSON.stringify(e.path)}`;
  if (e.value !== undefined) s += `,"value":${JSON.stringify(e.value)}`;
  if (e.extra !== undefined) s += `,"extra":${JSON.stringify(e.extra)}`;
  if (e.status !== undefined) s += `,"status":${e.status}`;
  if (e.revision !== undefined) s += `,"revision":${e.revision}`;
  if (e.timestamp !== undefined) s += `,"timestamp":${JSON.stringify(e.timestamp)}`;
  if (e.metadata !== undefined) s += `,"metadata":${JSON.stringify(e.metadata)}`;
  if (e.fields !== undefined) s += `,"fields":${JSON.stringify(e.fields)}`;
  return `${s}}`;
}
