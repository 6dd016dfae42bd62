import { DittoError } from '../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.ts';
import type { Channel, DittoHeaders } from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { CONTENT_TYPE_JSON, headersFromJson, headersToJson } from './headers.ts';
import { illegalAdaptable } from './protocol-errors.ts';
import { formatTopic, topicEntityId, topicPartsOf, type Topic } from './topic.ts';

/**
 * [ditto: basic-acknowledgements, protocol-specification-acks] Acknowledgements: one label's
 * outcome for one signal, identified by the signal's correlation ID. A single one travels as
 * `<ns>/<name>/things/<channel>/acks/<label>`, several aggregated as `.../acks` with the labels
 * as keys of the value.
 */

export const TWIN_PERSISTED = 'twin-persisted';
export const LIVE_RESPONSE = 'live-response';
export const SEARCH_PERSISTED = 'search-persisted';
/** [ditto: DittoAcknowledgementLabel] Issued by Doppel itself, never by a client. */
export const BUILT_IN_LABELS: ReadonlySet<string> = new Set([TWIN_PERSISTED, LIVE_RESPONSE, SEARCH_PERSISTED]);

// [ditto: AcknowledgementLabel] letters, digits, -, _ and :, 3 to 165 of them.
const LABEL = /^[a-zA-Z0-9\-_:]{3,165}$/;

export function isValidAckLabel(label: string): boolean {
  return LABEL.test(label);
}

export function checkAckLabel(label: string): string {
  if (!LABEL.test(label)) throw new DittoError('acknowledgement:label.invalid', { label });
  return label;
}

/** One acknowledgement: a label, its status, an optional payload and its headers. */
export interface Acknowledgement {
  readonly label: string;
  readonly thingId: string;
  readonly channel: Channel;
  readonly status: number;
  readonly value?: JsonValue;
  readonly headers: DittoHeaders;
}

/**
 * The labels of a `requested-acks` header: a JSON array (Ditto Protocol) or, from HTTP, also a
 * comma-separated list. Duplicates count once; every label must be valid.
 */
export function parseRequestedAcks(text: string): string[] {
  const trimmed = text.trim();
  let labels: unknown[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new DittoError('acknowledgement:request.parsing.failed', { value: text });
    }
    if (!Array.isArray(parsed)) throw new DittoError('acknowledgement:request.parsing.failed', { value: text });
    labels = parsed;
  } else {
    labels = trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
  }
  const out: string[] = [];
  for (const l of labels) {
    if (typeof l !== 'string') throw new DittoError('acknowledgement:request.parsing.failed', { value: text });
    if (!out.includes(l)) out.push(checkAckLabel(l));
  }
  return out;
}

/** [ditto: AcknowledgementsAdapter] One acknowledgement keeps its status; several are 200 when all succeeded, else 424. */
export function aggregatedAckStatus(acks: readonly Acknowledgement[]): number {
  if (acks.length === 1) return (acks[0] as Acknowledgement).status;
  return acks.every((a) => a.status >= 200 && a.status < 300) ? 200 : 424;
}

/** `{label: {status, payload?, headers}}`: the aggregated body of HTTP and of the `acks` message. */
export function acksToJson(acks: readonly Acknowledgement[]): JsonObject {
  const out: JsonObject = {};
  for (const a of acks) {
    const entry: JsonObject = { status: a.status };
    if (a.value !== undefined) entry['payload'] = a.value;
    entry['headers'] = headersToJson(a.headers);
    out[a.label] = entry;
  }
  return out;
}

function acksTopic(thingId: string, channel: Channel, label?: string): Topic {
  const { namespace, name } = topicPartsOf(thingId);
  const base = { namespace, name, group: 'things', channel, criterion: 'acks' } as const;
  return label === undefined ? base : { ...base, label };
}

export function ackToEnvelope(a: Acknowledgement): Envelope {
  return {
    topic: acksTopic(a.thingId, a.channel, a.label),
    headers: a.headers,
    path: '/',
    status: a.status,
    ...(a.value === undefined ? {} : { value: a.value }),
  };
}

/** Several acknowledgements of one signal as one `acks` message (status as aggregatedAckStatus). */
export function acksToEnvelope(thingId: string, channel: Channel, acks: readonly Acknowledgement[], headers: DittoHeaders): Envelope {
  return {
    topic: acksTopic(thingId, channel),
    headers: { ...headers, 'content-type': CONTENT_TYPE_JSON },
    path: '/',
    value: acksToJson(acks),
    status: aggregatedAckStatus(acks),
  };
}

/**
 * The acknowledgements a received `acks` message carries: one for `.../acks/<label>`, one per
 * key of the value for the aggregated form. The correlation ID is required.
 */
export function acksFromEnvelope(env: Envelope): Acknowledgement[] {
  const topic = env.topic;
  if (topic.criterion !== 'acks' || topic.group !== 'things') throw illegalAdaptable(`'${formatTopic(topic)}' is no acknowledgement topic.`);
  const thingId = topicEntityId(topic);
  if (thingId === undefined) throw illegalAdaptable('an acknowledgement names the thing it is about.');
  const correlationId = env.headers['correlation-id'];
  if (correlationId === undefined || correlationId === '') throw new DittoError('json.field.missing', { field: 'headers/correlation-id' });
  const channel = topic.channel ?? 'twin';
  if (topic.label !== undefined) {
    if (env.status === undefined) throw illegalAdaptable('an acknowledgement needs a status.');
    return [{ label: checkAckLabel(topic.label), thingId, channel, status: env.status, headers: env.headers, ...(env.value === undefined ? {} : { value: env.value }) }];
  }
  if (!isJsonObject(env.value)) throw illegalAdaptable('aggregated acknowledgements need an object value.');
  const out: Acknowledgement[] = [];
  for (const [label, entry] of Object.entries(env.value)) {
    const status = isJsonObject(entry) ? entry['status'] : undefined;
    // An entry's status is an HTTP status, like an envelope's (src/protocol/envelope.ts).
    if (!isJsonObject(entry) || typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      throw illegalAdaptable(`the acknowledgement '${label}' needs an HTTP status.`);
    }
    const own = isJsonObject(entry['headers']) ? headersFromJson(entry['headers']) : {};
    const payload = entry['payload'];
    out.push({
      label: checkAckLabel(label),
      thingId,
      channel,
      status,
      headers: { ...own, 'correlation-id': correlationId },
      ...(payload === undefined ? {} : { value: payload }),
    });
  }
  return out;
}
