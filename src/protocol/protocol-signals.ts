import type { JsonObject, JsonValue } from '../model/json.ts';
import type { Pointer } from '../model/json-pointer.ts';
import type {
  Channel,
  CheckPermissionsCommand,
  DittoHeaders,
  PolicyAction,
  PolicyCommand,
  PolicyResource,
  RetrieveThingsCommand,
  ThingAction,
  ThingCommand,
  ThingEvent,
  ThingResource,
} from '../signals/index.ts';
import type { TopicGroup } from './topic.ts';

/**
 * Signals as the Ditto Protocol carries them, beyond what `src/signals/` already defines: the
 * protocol also moves responses, errors and live events between parties, and keeps the topic
 * details (channel, namespace placeholders) a signal alone does not hold.
 */

/** RetrieveThings with what its topic says: `<namespace or _>/_/things/<channel>/commands/retrieve`. */
export interface RetrieveThingsSignal extends RetrieveThingsCommand {
  readonly kind: 'things.retrieve';
  /** The topic's namespace when it is not the placeholder. */
  readonly namespace?: string;
  readonly channel: Channel;
}

/** The successful answer to a thing command: same topic and path as the command, plus a status. */
export interface ThingCommandResponse {
  readonly kind: 'thing.response';
  readonly action: ThingAction;
  readonly thingId: string;
  readonly path: Pointer;
  readonly resource: ThingResource;
  readonly channel: Channel;
  readonly status: number;
  readonly value?: JsonValue;
  readonly headers: DittoHeaders;
}

export interface RetrieveThingsResponse {
  readonly kind: 'things.retrieve.response';
  readonly namespace?: string;
  readonly channel: Channel;
  readonly status: number;
  /** The things found, in the order asked. */
  readonly value: JsonValue;
  readonly headers: DittoHeaders;
}

/**
 * A thing event as the protocol carries it. Persisted events (ThingEvent) fit: the protocol
 * additionally knows events without a timestamp (Ditto's timestamp is optional, and live events
 * from devices often have none) and on which channel an event travels.
 */
export type ThingEventLike = Omit<ThingEvent, 'timestamp'> & { readonly timestamp?: string };

export type ProtocolThingEvent = ThingEventLike & {
  readonly kind: 'thing.event';
  readonly channel: Channel;
  readonly headers: DittoHeaders;
};

/**
 * An error answer: `<ns>/<name>/things/<channel>/errors` or `<ns>/<name>/policies/errors`, path
 * `/`, the error body as value. Namespace and name are the topic's (possibly the placeholder
 * `_`): an error about an invalid ID still names what the request named.
 */
export interface ErrorResponse {
  readonly kind: 'error';
  readonly group: TopicGroup;
  readonly namespace: string;
  readonly name: string;
  /** Present exactly for the things group. */
  readonly channel?: Channel;
  readonly status: number;
  /** `{status, error, message, description?, href?, ...}`; extra members pass through. */
  readonly error: JsonObject;
  readonly headers: DittoHeaders;
}

/** The successful answer to a policy command: same topic and path as the command, plus a status. */
export interface PolicyCommandResponse {
  readonly kind: 'policy.response';
  readonly action: PolicyAction;
  readonly policyId: string;
  readonly path: Pointer;
  readonly resource: PolicyResource;
  readonly status: number;
  readonly value?: JsonValue;
  readonly headers: DittoHeaders;
}

/** [ditto: CheckPermissionsSignalMapper] `_/_/policies/commands/checkPermissions`, the checks as value. */
export interface CheckPermissionsSignal extends CheckPermissionsCommand {
  readonly kind: 'policies.checkPermissions';
}

export interface CheckPermissionsResponse {
  readonly kind: 'policies.checkPermissions.response';
  readonly status: number;
  /** `{<check name>: <granted>}`. */
  readonly value: JsonValue;
  readonly headers: DittoHeaders;
}

export type ProtocolSignal =
  | ThingCommand
  | RetrieveThingsSignal
  | ThingCommandResponse
  | RetrieveThingsResponse
  | ProtocolThingEvent
  | PolicyCommand
  | PolicyCommandResponse
  | CheckPermissionsSignal
  | CheckPermissionsResponse
  | ErrorResponse;
