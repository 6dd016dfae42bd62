import type { JsonObject, JsonValue } from '../model/json.ts';
import type { Pointer } from '../model/json-pointer.ts';
import type { AuthContext, DittoHeaders } from './headers.ts';
import { classifyThingPath, commandResourceName, RESOURCE_NAMES, type ThingResource } from './thing-resource.ts';

export type ThingAction = 'create' | 'modify' | 'merge' | 'retrieve' | 'delete';
export type ThingEventAction = 'created' | 'modified' | 'merged' | 'deleted';
export type Channel = 'twin' | 'live';

/**
 * A command to one thing, shaped like the Ditto Protocol: an action on a path. HTTP routes and
 * protocol messages both become this; the resource is derived from the path.
 */
export interface ThingCommand {
  readonly kind: 'thing.command';
  readonly action: ThingAction;
  readonly thingId: string;
  readonly path: Pointer;
  readonly resource: ThingResource;
  /** The new value (create/modify), the merge patch (merge); absent otherwise. */
  readonly value?: JsonValue;
  /** Field selector text for retrieves (`fields`). */
  readonly fields?: string;
  readonly channel: Channel;
  readonly headers: DittoHeaders;
  readonly auth: AuthContext;
}

/** RetrieveThings: several things by ID, in the order asked. */
export interface RetrieveThingsCommand {
  readonly thingIds: readonly string[];
  readonly fields?: string;
  readonly headers: DittoHeaders;
  readonly auth: AuthContext;
}

/** A persisted thing event. The journal stores exactly this JSON. */
export interface ThingEvent {
  readonly type: string;
  readonly action: ThingEventAction;
  readonly thingId: string;
  readonly path: string;
  readonly value?: JsonValue;
  readonly revision: number;
  readonly timestamp: string;
  readonly headers?: DittoHeaders;
}

/** The outcome of a thing command, transport-neutral. */
/**
 * What a thing command answers. `value` may be a getter that parses a stored text when first
 * read, so a result is copied by naming its fields, never by spreading it.
 */
export interface ThingCommandResult {
  readonly status: number;
  /** Present for 200 and 201 answers. */
  readonly value?: JsonValue;
  /** `JSON.stringify(value)`, when the service had it at hand (a cached thing's text). */
  readonly text?: string;
  /** Headers the response carries (etag, entity-revision, ...). */
  readonly headers: Readonly<Record<string, string>>;
  /** For creations at the thing root, the created thing's ID (for a Location). */
  readonly createdId?: string;
}

export function thingCommand(fields: Omit<ThingCommand, 'kind' | 'resource'>): ThingCommand | undefined {
  const resource = classifyThingPath(fields.path);
  if (resource === undefined) return undefined;
  return { kind: 'thing.command', resource, ...fields };
}

const ACTION_WORD: Readonly<Record<ThingAction, string>> = {
  create: 'create',
  modify: 'modify',
  merge: 'merge',
  retrieve: 'retrieve',
  delete: 'delete',
};

/** Ditto's type string of a command, e.g. `things.commands:modifyAttribute`. */
export function commandType(action: ThingAction, resource: ThingResource): string {
  // [ditto: protocol-specification-things-merge] every merge is a MergeThing with a path.
  const name = action === 'merge' ? 'Thing' : commandResourceName(resource.kind);
  return `things.commands:${ACTION_WORD[action]}${name}`;
}

/** Ditto's type string of an event, e.g. `things.events:featurePropertyModified`. */
export function eventType(action: ThingEventAction, resource: ThingResource): string {
  if (action === 'merged') return 'things.events:thingMerged';
  const name = resource.kind === 'definition' ? 'ThingDefinition' : RESOURCE_NAMES[resource.kind];
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  const verb = action.charAt(0).toUpperCase() + action.slice(1);
  return `things.events:${camel}${verb}`;
}

export function eventToJson(e: ThingEvent): JsonObject {
  const out: JsonObject = {
    type: e.type,
    action: e.action,
    thingId: e.thingId,
    path: e.path,
    revision: e.revision,
    timestamp: e.timestamp,
  };
  if (e.value !== undefined) out['value'] = e.value;
  return out;
}
