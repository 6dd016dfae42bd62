import { DittoError } from '../model/errors/index.ts';
import { parseThingId } from '../model/ids.ts';
import { isJsonObject, type JsonValue } from '../model/json.ts';
import { formatPointer, parsePointer, type Pointer } from '../model/json-pointer.ts';
import {
  classifyThingPath,
  type AuthContext,
  type Channel,
  type RetrieveThingsCommand,
  type ThingAction,
  type ThingCommand,
  type ThingCommandResult,
  type ThingResource,
} from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { CONTENT_TYPE_JSON, CONTENT_TYPE_MERGE_PATCH } from './headers.ts';
import { illegalAdaptable, unknownPath, unknownTopic } from './protocol-errors.ts';
import type { RetrieveThingsResponse, RetrieveThingsSignal, ThingCommandResponse } from './protocol-signals.ts';
import { formatTopic, TOPIC_PLACEHOLDER, topicPartsOf, type CommandAction, type Topic } from './topic.ts';

/**
 * [ditto: protocol-specification-things] Thing commands and their responses. A command is an
 * action on a path inside the thing; the resource follows from the path. Ditto has no command
 * for some combinations: `create` exists only for the whole thing, and the policy ID cannot be
 * deleted. A wildcard entity name (`<ns>/_/...` or `_/_/...`) with `retrieve` is RetrieveThings.
 */

const THING_ACTIONS: ReadonlySet<string> = new Set<ThingAction>(['create', 'modify', 'merge', 'retrieve', 'delete']);

function isThingAction(a: CommandAction): a is ThingAction {
  return THING_ACTIONS.has(a);
}

/** Whether Ditto has a command (and response) for this action on this resource. */
export function hasThingCommand(action: ThingAction, resource: ThingResource): boolean {
  if (action === 'create') return resource.kind === 'thing';
  if (action === 'delete') return resource.kind !== 'policyId';
  return true;
}

interface Target {
  readonly action: ThingAction;
  readonly thingId: string;
  readonly path: Pointer;
  readonly resource: ThingResource;
  readonly channel: Channel;
}

/** Action, thing and resource of a `things/<channel>/commands/<action>` envelope, checked. */
function targetOf(env: Envelope): Target {
  const topic = env.topic;
  if (topic.group !== 'things' || topic.criterion !== 'commands' || topic.channel === undefined) {
    throw unknownTopic(formatTopic(topic), 'Not a thing command topic.');
  }
  const action = topic.action;
  if (!isThingAction(action)) throw unknownTopic(formatTopic(topic), `Things have no '${action}' command here.`);
  const thingId = parseThingId(`${topic.namespace}:${topic.name}`).id;
  const path = parsePointer(env.path);
  const resource = classifyThingPath(path);
  if (resource === undefined) throw unknownPath(env.path);
  if (!hasThingCommand(action, resource)) {
    throw unknownTopic(formatTopic(topic), `There is no '${action}' command for the path '${env.path}'.`);
  }
  return { action, thingId, path, resource, channel: topic.channel };
}

function isRetrieveThings(topic: Topic): boolean {
  return topic.group === 'things' && topic.criterion === 'commands' && topic.action === 'retrieve' && topic.name === TOPIC_PLACEHOLDER;
}

/** A thing command envelope (no `status`) as a signal; RetrieveThings for wildcard retrieves. */
export function thingCommandFromEnvelope(env: Envelope, auth: AuthContext): ThingCommand | RetrieveThingsSignal {
  if (isRetrieveThings(env.topic)) return retrieveThingsFromEnvelope(env, auth);
  const t = targetOf(env);
  const needsValue = t.action === 'create' || t.action === 'modify' || t.action === 'merge';
  // [ditto: MappingContext] a modifying command without a value cannot be built.
  if (needsValue && env.value === undefined) throw illegalAdaptable(`the ${t.action} command at '${env.path}' has no value.`);
  return {
    kind: 'thing.command',
    ...t,
    headers: env.headers,
    auth,
    ...(needsValue && env.value !== undefined ? { value: env.value } : {}),
    ...(t.action === 'retrieve' && env.fields !== undefined ? { fields: env.fields } : {}),
  };
}

function retrieveThingsFromEnvelope(env: Envelope, auth: AuthContext): RetrieveThingsSignal {
  const channel = env.topic.channel ?? 'twin';
  const ids = isJsonObject(env.value) ? env.value['thingIds'] : undefined;
  // [ditto: RetrieveThingsCommandMappingStrategies] the value must be {"thingIds": [...]}.
  if (!Array.isArray(ids)) throw new DittoError('json.invalid', { reason: "RetrieveThings needs a value {\"thingIds\": [...]}." });
  const thingIds = ids.map((id) => {
    if (typeof id !== 'string') throw new DittoError('json.invalid', { reason: 'thing IDs must be strings.' });
    return parseThingId(id).id;
  });
  const ns = env.topic.namespace;
  return {
    kind: 'things.retrieve',
    thingIds,
    channel,
    headers: env.headers,
    auth,
    ...(ns === TOPIC_PLACEHOLDER ? {} : { namespace: ns }),
    ...(env.fields === undefined ? {} : { fields: env.fields }),
  };
}

function commandTopic(thingId: string, channel: Channel, action: ThingAction): Topic {
  const { namespace, name } = topicPartsOf(thingId);
  return { namespace, name, group: 'things', channel, criterion: 'commands', action };
}

/** [ditto: ThingModifySignalMapper, ThingMergeSignalMapper] Merges travel as merge patches, the rest as JSON. */
function contentTypeOf(action: ThingAction): string {
  return action === 'merge' ? CONTENT_TYPE_MERGE_PATCH : CONTENT_TYPE_JSON;
}

function withContentType(headers: Readonly<Record<string, string>>, contentType: string): Record<string, string> {
  return { ...headers, 'content-type': contentType };
}

/** A thing command as an envelope, e.g. to forward a live command to a device. */
export function thingCommandToEnvelope(cmd: ThingCommand): Envelope {
  return {
    topic: commandTopic(cmd.thingId, cmd.channel, cmd.action),
    headers: withContentType(cmd.headers, contentTypeOf(cmd.action)),
    path: formatPointer(cmd.path),
    ...(cmd.value === undefined || cmd.action === 'retrieve' || cmd.action === 'delete' ? {} : { value: cmd.value }),
    ...(cmd.fields === undefined || cmd.action !== 'retrieve' ? {} : { fields: cmd.fields }),
  };
}

function retrieveThingsTopic(namespace: string | undefined, channel: Channel): Topic {
  return { namespace: namespace ?? TOPIC_PLACEHOLDER, name: TOPIC_PLACEHOLDER, group: 'things', channel, criterion: 'commands', action: 'retrieve' };
}

export function retrieveThingsToEnvelope(sig: RetrieveThingsSignal): Envelope {
  return {
    topic: retrieveThingsTopic(sig.namespace, sig.channel),
    headers: withContentType(sig.headers, CONTENT_TYPE_JSON),
    path: '/',
    value: { thingIds: [...sig.thingIds] },
    ...(sig.fields === undefined ? {} : { fields: sig.fields }),
  };
}

/** A response envelope (with `status`) on a thing command topic as a signal. */
export function thingResponseFromEnvelope(env: Envelope): ThingCommandResponse | RetrieveThingsResponse {
  const status = env.status;
  if (status === undefined) throw illegalAdaptable('a response needs a status.');
  if (isRetrieveThings(env.topic)) {
    if (!Array.isArray(env.value)) throw illegalAdaptable('the RetrieveThings response value must be an array of things.');
    const ns = env.topic.namespace;
    return {
      kind: 'things.retrieve.response',
      channel: env.topic.channel ?? 'twin',
      status,
      value: env.value,
      headers: env.headers,
      ...(ns === TOPIC_PLACEHOLDER ? {} : { namespace: ns }),
    };
  }
  return { kind: 'thing.response', ...targetOf(env), status, headers: env.headers, ...(env.value === undefined ? {} : { value: env.value }) };
}

/**
 * The response to `cmd` for the service's `result`. [ditto: command responses] Ditto answers
 * with the command's headers plus those of the outcome (etag, entity-revision); which of them a
 * client sees is decided when rendering.
 */
export function thingResponseFor(cmd: ThingCommand, result: ThingCommandResult): ThingCommandResponse {
  return {
    kind: 'thing.response',
    action: cmd.action,
    thingId: cmd.thingId,
    path: cmd.path,
    resource: cmd.resource,
    channel: cmd.channel,
    status: result.status,
    headers: { ...cmd.headers, ...result.headers },
    ...(result.value === undefined ? {} : { value: result.value }),
  };
}

export function retrieveThingsResponseFor(
  cmd: RetrieveThingsCommand & { readonly namespace?: string; readonly channel?: Channel },
  things: readonly JsonValue[],
): RetrieveThingsResponse {
  return {
    kind: 'things.retrieve.response',
    channel: cmd.channel ?? 'twin',
    status: 200,
    value: [...things],
    headers: cmd.headers,
    ...(cmd.namespace === undefined ? {} : { namespace: cmd.namespace }),
  };
}

const NULL_WHEN_MODIFIED: ReadonlySet<string> = new Set(['attributes', 'features', 'feature']);

/**
 * [ditto: Modify*Response.getEntity] Only 200 and 201 carry the resource. Two quirks of Ditto's
 * response types are kept because clients see them: a merge response never has a value
 * (MergeThingResponse has no entity), and the 204 answers to modifying the attributes, the
 * features or one feature carry `"value": null` (their "modified" responses hold a null entity).
 */
function responseValue(r: ThingCommandResponse): JsonValue | undefined {
  if (r.action === 'merge') return undefined;
  if (r.status === 200 || r.status === 201) return r.value;
  if (r.status === 204 && r.action === 'modify' && NULL_WHEN_MODIFIED.has(r.resource.kind)) return null;
  return undefined;
}

export function thingResponseToEnvelope(r: ThingCommandResponse): Envelope {
  const value = responseValue(r);
  return {
    topic: commandTopic(r.thingId, r.channel, r.action),
    headers: withContentType(r.headers, contentTypeOf(r.action)),
    path: formatPointer(r.path),
    status: r.status,
    ...(value === undefined ? {} : { value }),
  };
}

export function retrieveThingsResponseToEnvelope(r: RetrieveThingsResponse): Envelope {
  return {
    topic: retrieveThingsTopic(r.namespace, r.channel),
    headers: withContentType(r.headers, CONTENT_TYPE_JSON),
    path: '/',
    status: r.status,
    value: r.value,
  };
}
