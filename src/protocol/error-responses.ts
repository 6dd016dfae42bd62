import { DittoError } from '../model/errors/index.ts';
import { isJsonObject, type JsonObject } from '../model/json.ts';
import type { Channel, DittoHeaders } from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { CONTENT_TYPE_JSON } from './headers.ts';
import { missingField, unknownTopic } from './protocol-errors.ts';
import type { ErrorResponse } from './protocol-signals.ts';
import { formatTopic, topicPartsOf, type Topic, type TopicGroup } from './topic.ts';

/**
 * [ditto: protocol-specification-errors] Errors travel as `<ns>/<name>/things/<channel>/errors`
 * (things), `<ns>/<name>/policies/errors` (policies, no channel), path `/`, the error's status,
 * and the error body as value. When the entity is not known the topic says `_/_`.
 */

/** Where an error belongs: the request's topic (or entity ID) and headers. */
export interface ErrorContext {
  readonly group?: TopicGroup;
  /** The entity the request was about; ignored when `topic` is given. */
  readonly entityId?: string;
  /** The request's topic: its namespace, name, group and channel are kept, even for an invalid ID. */
  readonly topic?: Pick<Topic, 'namespace' | 'name' | 'group' | 'channel'>;
  readonly channel?: Channel;
  /** The request's headers; the answer keeps its correlation ID. */
  readonly headers?: DittoHeaders;
}

/**
 * The error answer for `error`. [ditto: ThingErrorResponse] It carries the request's headers
 * plus the error's own (an ETag with 412), twin unless the request came on the live channel.
 */
export function errorResponseFor(error: DittoError, ctx: ErrorContext = {}): ErrorResponse {
  const group = ctx.topic?.group ?? ctx.group ?? 'things';
  const { namespace, name } = ctx.topic ?? topicPartsOf(ctx.entityId);
  const channel = ctx.topic?.channel ?? ctx.channel ?? (ctx.headers?.['channel'] === 'live' ? 'live' : 'twin');
  const own = error.headers;
  const headers = ctx.headers === undefined ? own : Object.keys(own).length === 0 ? ctx.headers : { ...ctx.headers, ...own };
  return {
    kind: 'error',
    group,
    namespace,
    name,
    status: error.status,
    error: errorBody(error),
    headers,
    ...(group === 'things' ? { channel } : {}),
  };
}

function errorBody(error: DittoError): JsonObject {
  const j = error.toJSON();
  const body: JsonObject = { status: j.status, error: j.error, message: j.message };
  if (j.description !== undefined) body['description'] = j.description;
  if (j.href !== undefined) body['href'] = j.href;
  return body;
}

function errorTopic(r: ErrorResponse): Topic {
  const base = { namespace: r.namespace, name: r.name, group: r.group, criterion: 'errors' } as const;
  return r.group === 'things' ? { ...base, channel: r.channel ?? 'twin' } : base;
}

export function errorResponseToEnvelope(r: ErrorResponse): Envelope {
  return {
    topic: errorTopic(r),
    headers: { ...r.headers, 'content-type': CONTENT_TYPE_JSON },
    path: '/',
    value: r.error,
    status: r.status,
  };
}

/**
 * An error envelope as a signal, e.g. a device answering a live command with an error. The value
 * must be an error object with an `error` code; its `status` wins over a missing envelope status.
 */
export function errorResponseFromEnvelope(env: Envelope): ErrorResponse {
  const topic = env.topic;
  if (topic.criterion !== 'errors') throw unknownTopic(formatTopic(topic), 'Not an error topic.');
  const value = env.value;
  if (value === undefined) throw missingField('value');
  if (!isJsonObject(value) || typeof value['error'] !== 'string') {
    throw new DittoError('json.invalid', { reason: 'the value of an error must be an error object with an error code.' });
  }
  const status = env.status ?? (typeof value['status'] === 'number' ? value['status'] : undefined);
  if (status === undefined) throw missingField('status');
  return {
    kind: 'error',
    group: topic.group,
    namespace: topic.namespace,
    name: topic.name,
    status,
    error: value,
    headers: env.headers,
    ...(topic.channel === undefined ? {} : { channel: topic.channel }),
  };
}

