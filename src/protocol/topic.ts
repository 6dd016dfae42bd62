import type { Channel } from '../signals/index.ts';
import { unknownTopic } from './protocol-errors.ts';

/**
 * [ditto: protocol-specification-topic] A topic is
 * `{namespace}/{entityName}/{group}/{channel}/{criterion}/{action}`. Things carry a channel
 * (`twin` or `live`); policies and connections have no channel segment at all. What follows the
 * criterion depends on it: an action for commands, events, search and streaming, nothing for
 * errors, a free subject for messages (slashes allowed), an optional label for acks (none means
 * the aggregated acknowledgements) and a name for announcements.
 */

/** Namespace or entity name that stands for "any" or "not known": `_/_/things/twin/search/subscribe`. */
export const TOPIC_PLACEHOLDER = '_';

export const TOPIC_GROUPS = ['things', 'policies', 'connections'] as const;
export const TOPIC_CRITERIA = ['commands', 'events', 'search', 'messages', 'errors', 'acks', 'announcements', 'streaming'] as const;
/** [ditto: TopicPath.Action] `migrate` is thing-definition migration, `checkPermissions` a policy command. */
export const COMMAND_ACTIONS = ['create', 'retrieve', 'modify', 'merge', 'delete', 'migrate', 'checkPermissions'] as const;
export const EVENT_ACTIONS = ['created', 'modified', 'merged', 'deleted', 'migrated'] as const;
/** [ditto: TopicPath.SearchAction] `error` is what Ditto's own search error responses carry. */
export const SEARCH_ACTIONS = ['subscribe', 'request', 'cancel', 'created', 'next', 'complete', 'failed', 'error'] as const;
export const STREAMING_ACTIONS = ['subscribeForPersistedEvents', 'request', 'cancel', 'created', 'next', 'complete', 'failed', 'error'] as const;

export type TopicGroup = (typeof TOPIC_GROUPS)[number];
export type TopicCriterion = (typeof TOPIC_CRITERIA)[number];
export type CommandAction = (typeof COMMAND_ACTIONS)[number];
export type EventAction = (typeof EVENT_ACTIONS)[number];
export type SearchAction = (typeof SEARCH_ACTIONS)[number];
export type StreamingAction = (typeof STREAMING_ACTIONS)[number];

interface TopicBase {
  /** May be empty (an ID like `:name`) or the placeholder `_`. */
  readonly namespace: string;
  /** Never empty; may be the placeholder `_`. */
  readonly name: string;
  readonly group: TopicGroup;
  /** Present exactly when the group is `things`. */
  readonly channel?: Channel;
}

export type Topic = TopicBase &
  (
    | { readonly criterion: 'commands'; readonly action: CommandAction }
    | { readonly criterion: 'events'; readonly action: EventAction }
    | { readonly criterion: 'search'; readonly action: SearchAction }
    | { readonly criterion: 'streaming'; readonly action: StreamingAction }
    | { readonly criterion: 'errors' }
    | { readonly criterion: 'messages'; readonly subject: string }
    /** Without a label: the aggregated acknowledgements of one signal. */
    | { readonly criterion: 'acks'; readonly label?: string }
    | { readonly criterion: 'announcements'; readonly announcement: string }
  );

function oneOf<T extends string>(list: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (list as readonly string[]).includes(value);
}

/**
 * Parses a topic. Anything that is not one of the forms above is a 400
 * `protocoladapter:unknown.topicpath`, and nothing else is ever thrown.
 *
 * Stricter than Ditto's parser in three ways, so that every accepted topic formats back to the
 * same text: segments after a complete topic are rejected (Ditto ignores them), empty segments
 * other than the namespace are rejected (Ditto reads a double slash in surprising ways), and the
 * literal channel `none` is rejected (Ditto accepts and then drops it).
 */
export function parseTopic(text: string): Topic {
  const parts = text.split('/');
  const [namespace, name, group] = parts;
  if (namespace === undefined || name === undefined || group === undefined) {
    throw unknownTopic(text, 'A topic has at least a namespace, an entity name, a group and a criterion.');
  }
  if (name === '') throw unknownTopic(text, 'The entity name of the topic is empty.');
  if (!oneOf(TOPIC_GROUPS, group)) throw unknownTopic(text, `The group '${group}' is unknown; use things, policies or connections.`);
  let i = 3;
  let channel: Channel | undefined;
  if (group === 'things') {
    const c = parts[i++];
    if (c !== 'twin' && c !== 'live') throw unknownTopic(text, 'Things topics need the channel twin or live after the group.');
    channel = c;
  }
  const criterion = parts[i++];
  if (!oneOf(TOPIC_CRITERIA, criterion)) {
    throw unknownTopic(text, criterion === undefined ? 'The topic has no criterion.' : `The criterion '${criterion}' is unknown.`);
  }
  const base: TopicBase = channel === undefined ? { namespace, name, group } : { namespace, name, group, channel };
  const rest = parts.length - i;
  switch (criterion) {
    case 'commands':
      return { ...base, criterion, action: single(text, parts, i, COMMAND_ACTIONS, 'command action') };
    case 'events':
      return { ...base, criterion, action: single(text, parts, i, EVENT_ACTIONS, 'event action') };
    case 'search':
      return { ...base, criterion, action: single(text, parts, i, SEARCH_ACTIONS, 'search action') };
    case 'streaming':
      return { ...base, criterion, action: single(text, parts, i, STREAMING_ACTIONS, 'streaming action') };
    case 'errors':
      if (rest !== 0) throw unknownTopic(text, 'Nothing may follow the criterion errors.');
      return { ...base, criterion };
    case 'messages':
      return { ...base, criterion, subject: tail(text, parts, i, 'message subject') };
    case 'acks':
      return rest === 0 ? { ...base, criterion } : { ...base, criterion, label: tail(text, parts, i, 'acknowledgement label') };
    case 'announcements':
      return { ...base, criterion, announcement: tail(text, parts, i, 'announcement name') };
  }
}

function single<T extends string>(text: string, parts: readonly string[], i: number, list: readonly T[], what: string): T {
  const action = parts[i];
  if (parts.length !== i + 1 || !oneOf(list, action)) {
    throw unknownTopic(text, action === undefined ? `The topic has no ${what}.` : `Expected one ${what} of ${list.join(', ')} at the end.`);
  }
  return action;
}

/** Everything after the criterion, slashes included: message subjects may contain them. */
function tail(text: string, parts: readonly string[], i: number, what: string): string {
  const value = parts.slice(i).join('/');
  if (value === '' || parts.slice(i).includes('')) throw unknownTopic(text, `The ${what} is missing or has an empty segment.`);
  return value;
}

/** The text of a topic; `formatTopic(parseTopic(t)) === t` for every topic that parses. */
export function formatTopic(topic: Topic): string {
  let s = `${topic.namespace}/${topic.name}/${topic.group}/`;
  if (topic.channel !== undefined) s += `${topic.channel}/`;
  switch (topic.criterion) {
    case 'commands':
    case 'events':
    case 'search':
    case 'streaming':
      return `${s}${topic.criterion}/${topic.action}`;
    case 'errors':
      return `${s}errors`;
    case 'messages':
      return `${s}messages/${topic.subject}`;
    case 'acks':
      return topic.label === undefined ? `${s}acks` : `${s}acks/${topic.label}`;
    case 'announcements':
      return `${s}announcements/${topic.announcement}`;
  }
}

/**
 * [ditto: HeadersFromTopicPath] The entity ID a topic names (`namespace:name`), or undefined when
 * either part is the placeholder.
 */
export function topicEntityId(topic: Pick<Topic, 'namespace' | 'name'>): string | undefined {
  if (topic.namespace === TOPIC_PLACEHOLDER || topic.name === TOPIC_PLACEHOLDER) return undefined;
  return `${topic.namespace}:${topic.name}`;
}

/** Namespace and name of an entity ID for a topic; the placeholders when the ID is not known. */
export function topicPartsOf(entityId: string | undefined): { readonly namespace: string; readonly name: string } {
  const colon = entityId === undefined ? -1 : topicColon(entityId);
  if (entityId === undefined || colon < 0) return { namespace: TOPIC_PLACEHOLDER, name: TOPIC_PLACEHOLDER };
  return { namespace: entityId.slice(0, colon), name: entityId.slice(colon + 1) };
}

/** `namespace/name` of an entity ID, the start of each of its topics; `_/_` when unknown. */
export function topicPrefixOf(entityId: string): string {
  const colon = topicColon(entityId);
  return colon < 0 ? `${TOPIC_PLACEHOLDER}/${TOPIC_PLACEHOLDER}` : `${entityId.slice(0, colon)}/${entityId.slice(colon + 1)}`;
}

/**
 * Where an ID splits into namespace and name, or -1 when it cannot stand in a topic (no colon,
 * empty name, slashes): such IDs are invalid anyway, and "unknown" beats a topic nobody can parse.
 */
function topicColon(entityId: string): number {
  const colon = entityId.indexOf(':');
  return colon < 0 || colon === entityId.length - 1 || entityId.includes('/') ? -1 : colon;
}
