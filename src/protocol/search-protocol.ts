import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.ts';
import type { DittoHeaders } from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { CONTENT_TYPE_JSON } from './headers.ts';
import { illegalAdaptable, invalidField, missingField } from './protocol-errors.ts';
import { TOPIC_PLACEHOLDER, type SearchAction, type Topic } from './topic.ts';

// [ditto: protocol-specification-things-search] The search protocol: reactive streams over the
// Ditto Protocol. A client subscribes (filter, options, namespaces; `fields` in the envelope),
// gets `created` with a subscription ID, asks for pages with `request` (demand) and may `cancel`;
// Ditto answers with `next` (one page each), then `complete` or `failed`. All on
// `<namespace or _>/_/things/twin/search/<action>`, path `/`.

export interface SearchSubscribeSignal {
  readonly kind: 'search.subscribe';
  /** The topic's namespace: `_` unless the client named one. */
  readonly namespace: string;
  readonly filter?: string;
  readonly options?: string;
  readonly namespaces?: readonly string[];
  readonly fields?: string;
  readonly headers: DittoHeaders;
}

/** The messages after subscribe: each names its subscription. */
export type SearchSubscriptionSignal =
  | { readonly kind: 'search.request'; readonly subscriptionId: string; readonly demand: number; readonly headers: DittoHeaders }
  | { readonly kind: 'search.cancel'; readonly subscriptionId: string; readonly headers: DittoHeaders }
  | { readonly kind: 'search.created'; readonly subscriptionId: string; readonly headers: DittoHeaders }
  | { readonly kind: 'search.next'; readonly subscriptionId: string; readonly items: readonly JsonValue[]; readonly headers: DittoHeaders }
  | { readonly kind: 'search.complete'; readonly subscriptionId: string; readonly headers: DittoHeaders }
  | { readonly kind: 'search.failed'; readonly subscriptionId: string; readonly error: JsonObject; readonly headers: DittoHeaders };

export type SearchProtocolSignal = SearchSubscribeSignal | SearchSubscriptionSignal;

const KINDS: Readonly<Record<Exclude<SearchAction, 'error'>, SearchProtocolSignal['kind']>> = {
  subscribe: 'search.subscribe',
  request: 'search.request',
  cancel: 'search.cancel',
  created: 'search.created',
  next: 'search.next',
  complete: 'search.complete',
  failed: 'search.failed',
};

function valueObject(env: Envelope): JsonObject {
  if (env.value === undefined) throw missingField('value');
  if (!isJsonObject(env.value)) throw illegalAdaptable('the value of a search protocol message must be a JSON object');
  return env.value;
}

function optionalString(value: JsonObject, field: string): string | undefined {
  const v = value[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidField(field, 'a string');
  return v;
}

function subscriptionIdOf(value: JsonObject): string {
  const id = value['subscriptionId'];
  if (id === undefined) throw missingField('subscriptionId');
  if (typeof id !== 'string') throw invalidField('subscriptionId', 'a string');
  return id;
}

/** The signal of a search protocol envelope; undefined for other topics (and `error`, which is an error response). */
export function searchSignalFromEnvelope(env: Envelope): SearchProtocolSignal | undefined {
  const topic = env.topic;
  if (topic.criterion !== 'search' || topic.group !== 'things' || topic.action === 'error') return undefined;
  const headers = env.headers;
  const value = valueObject(env);
  const kind = KINDS[topic.action];
  switch (kind) {
    case 'search.subscribe': {
      const filter = optionalString(value, 'filter');
      const options = optionalString(value, 'options');
      const ns = value['namespaces'];
      if (ns !== undefined && ns !== null && (!Array.isArray(ns) || !ns.every((n) => typeof n === 'string'))) throw invalidField('namespaces', 'an array of strings');
      return {
        kind, namespace: topic.namespace, headers,
        ...(filter === undefined ? {} : { filter }),
        ...(options === undefined ? {} : { options }),
        ...(Array.isArray(ns) ? { namespaces: ns as string[] } : {}),
        ...(env.fields === undefined ? {} : { fields: env.fields }),
      };
    }
    case 'search.request': {
      const demand = value['demand'];
      if (demand === undefined) throw missingField('demand');
      if (typeof demand !== 'number' || !Number.isInteger(demand)) throw invalidField('demand', 'an integer');
      return { kind, subscriptionId: subscriptionIdOf(value), demand, headers };
    }
    case 'search.next': {
      const items = value['items'];
      if (!Array.isArray(items)) throw invalidField('items', 'an array');
      return { kind, subscriptionId: subscriptionIdOf(value), items, headers };
    }
    case 'search.failed': {
      const error = value['error'];
      if (!isJsonObject(error)) throw invalidField('error', 'an object');
      return { kind, subscriptionId: subscriptionIdOf(value), error, headers };
    }
    case 'search.cancel':
    case 'search.created':
    case 'search.complete':
      return { kind, subscriptionId: subscriptionIdOf(value), headers };
  }
}

const ACTIONS: Readonly<Record<SearchProtocolSignal['kind'], Exclude<SearchAction, 'error'>>> = {
  'search.subscribe': 'subscribe',
  'search.request': 'request',
  'search.cancel': 'cancel',
  'search.created': 'created',
  'search.next': 'next',
  'search.complete': 'complete',
  'search.failed': 'failed',
};

/** The envelope of a search protocol signal; Ditto's mapper stamps application/json on it. */
export function searchSignalToEnvelope(signal: SearchProtocolSignal): Envelope {
  const namespace = signal.kind === 'search.subscribe' ? signal.namespace : TOPIC_PLACEHOLDER;
  const topic: Topic = { namespace, name: TOPIC_PLACEHOLDER, group: 'things', channel: 'twin', criterion: 'search', action: ACTIONS[signal.kind] };
  const headers: DittoHeaders = { 'content-type': CONTENT_TYPE_JSON, ...signal.headers };
  let value: JsonObject;
  switch (signal.kind) {
    case 'search.subscribe':
      value = {
        ...(signal.filter === undefined ? {} : { filter: signal.filter }),
        ...(signal.options === undefined ? {} : { options: signal.options }),
        ...(signal.namespaces === undefined ? {} : { namespaces: [...signal.namespaces] }),
      };
      return { topic, headers, path: '/', value, ...(signal.fields === undefined ? {} : { fields: signal.fields }) };
    case 'search.request':
      value = { subscriptionId: signal.subscriptionId, demand: signal.demand };
      break;
    case 'search.next':
      value = { subscriptionId: signal.subscriptionId, items: [...signal.items] };
      break;
    case 'search.failed':
      value = { subscriptionId: signal.subscriptionId, error: signal.error };
      break;
    default:
      value = { subscriptionId: signal.subscriptionId };
  }
  return { topic, headers, path: '/', value };
}
