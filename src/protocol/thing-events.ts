import { DittoError } from '../model/errors/index.ts';
import { parseThingId } from '../model/ids.ts';
import type { JsonObject, JsonValue } from '../model/json.ts';
import { formatPointer, parsePointer } from '../model/json-pointer.ts';
import { classifyThingPath, eventType, type Channel, type DittoHeaders } from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { CONTENT_TYPE_JSON, CONTENT_TYPE_MERGE_PATCH, headersToText } from './headers.ts';
import { missingField, unknownPath, unknownTopic } from './protocol-errors.ts';
import type { ProtocolThingEvent, ThingEventLike } from './protocol-signals.ts';
import { formatTopic, topicPartsOf, topicPrefixOf, type Topic } from './topic.ts';

/**
 * [ditto: protocol-specification-things events] An event has the topic
 * `<ns>/<name>/things/<channel>/events/<created|modified|merged|deleted>` and the path of the
 * command that caused it; its value is the new resource (created, modified), the merge patch
 * (merged) or absent (deleted), with the revision and, when known, the timestamp.
 */

/**
 * [ditto: ThingEventSignalMapper, ThingMergedEventSignalMapper] Events with a value are marked
 * JSON, merged events merge patches; a deletion keeps the headers it had.
 */
function eventContentType(e: ThingEventLike): string | undefined {
  if (e.action === 'merged') return CONTENT_TYPE_MERGE_PATCH;
  return e.value === undefined ? undefined : CONTENT_TYPE_JSON;
}

const NO_HEADERS: DittoHeaders = {};

function eventTopic(thingId: string, channel: Channel, e: ThingEventLike): Topic {
  const { namespace, name } = topicPartsOf(thingId);
  return { namespace, name, group: 'things', channel, criterion: 'events', action: e.action };
}

/** An event as an envelope; `channel` is twin for persisted events. */
export function thingEventToEnvelope(e: ThingEventLike, channel: Channel = 'twin'): Envelope {
  const contentType = eventContentType(e);
  const headers = e.headers ?? NO_HEADERS;
  return {
    topic: eventTopic(e.thingId, channel, e),
    headers: contentType === undefined ? headers : { ...headers, 'content-type': contentType },
    path: e.path,
    ...(e.value === undefined ? {} : { value: e.value }),
    revision: e.revision,
    ...(e.timestamp === undefined ? {} : { timestamp: e.timestamp }),
  };
}

/**
 * The text of an event's envelope, written straight from the event: this runs once per event and
 * subscriber, so it builds no topic, envelope or header copies. `value` replaces the event's
 * value (e.g. what a subscriber may read) and `extra` adds enrichment.
 */
export function thingEventToText(
  e: ThingEventLike,
  channel: Channel = 'twin',
  override?: { readonly value?: JsonValue; readonly extra?: JsonObject },
): string {
  const topic = `${topicPrefixOf(e.thingId)}/things/${channel}/events/${e.action}`;
  const value = override?.value !== undefined ? override.value : e.value;
  let s = `{"topic":${JSON.stringify(topic)},"headers":${headersToText(e.headers ?? NO_HEADERS, eventContentType(e))},"path":${JSON.stringify(e.path)}`;
  if (value !== undefined) s += `,"value":${JSON.stringify(value)}`;
  if (override?.extra !== undefined) s += `,"extra":${JSON.stringify(override.extra)}`;
  s += `,"revision":${e.revision}`;
  if (e.timestamp !== undefined) s += `,"timestamp":${JSON.stringify(e.timestamp)}`;
  return `${s}}`;
}

/**
 * An event envelope as a signal. [ditto: ThingEventMappingStrategies] The revision is required,
 * created, modified and merged events need a value, and the policy ID has no deletion event.
 */
export function thingEventFromEnvelope(env: Envelope): ProtocolThingEvent {
  const topic = env.topic;
  if (topic.group !== 'things' || topic.criterion !== 'events' || topic.channel === undefined) {
    throw unknownTopic(formatTopic(topic), 'Not a thing event topic.');
  }
  const action = topic.action;
  if (action === 'migrated') throw unknownTopic(formatTopic(topic), 'Definition migration events are not supported.');
  const thingId = parseThingId(`${topic.namespace}:${topic.name}`).id;
  const path = parsePointer(env.path);
  const resource = classifyThingPath(path);
  if (resource === undefined) throw unknownPath(env.path);
  if (action === 'deleted' && resource.kind === 'policyId') {
    throw unknownTopic(formatTopic(topic), `There is no '${action}' event for the path '${env.path}'.`);
  }
  if (env.revision === undefined) throw missingField('revision');
  if (action !== 'deleted' && env.value === undefined) {
    throw new DittoError('json.invalid', { reason: `the ${action} event at '${env.path}' has no value.` });
  }
  return {
    kind: 'thing.event',
    type: eventType(action, resource),
    action,
    thingId,
    path: formatPointer(path),
    revision: env.revision,
    channel: topic.channel,
    headers: env.headers,
    ...(action === 'deleted' || env.value === undefined ? {} : { value: env.value }),
    ...(env.timestamp === undefined ? {} : { timestamp: env.timestamp }),
  };
}
