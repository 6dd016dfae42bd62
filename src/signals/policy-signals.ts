import type { JsonObject, JsonValue } from '../model/json.ts';
import type { Pointer } from '../model/json-pointer.ts';
import type { AuthContext, DittoHeaders } from './headers.ts';
import { classifyPolicyPath, POLICY_RESOURCE_NAMES, type PolicyResource } from './policy-resource.ts';

export type PolicyAction = 'create' | 'modify' | 'retrieve' | 'delete';
export type PolicyEventAction = 'created' | 'modified' | 'deleted';
export type PolicyView = 'original' | 'resolved';

/**
 * A command to one policy, shaped like the Ditto Protocol: an action on a path inside the policy.
 * `create` is the protocol's create of a whole policy (it fails when the policy exists); `modify`
 * at the root creates a missing policy, as PUT does.
 */
export interface PolicyCommand {
  readonly kind: 'policy.command';
  readonly action: PolicyAction;
  readonly policyId: string;
  readonly path: Pointer;
  readonly resource: PolicyResource;
  /** The new value (create/modify); absent otherwise. */
  readonly value?: JsonValue;
  /** Field selector text for retrieving a whole policy (`fields`). */
  readonly fields?: string;
  /** `policy-view` of a policy retrieve; `original` when absent. */
  readonly view?: PolicyView;
  readonly headers: DittoHeaders;
  readonly auth: AuthContext;
}

/** A persisted policy event. The journal stores exactly this JSON. */
export interface PolicyEvent {
  readonly type: string;
  readonly action: PolicyEventAction;
  readonly policyId: string;
  readonly path: string;
  readonly value?: JsonValue;
  readonly revision: number;
  readonly timestamp: string;
}

/** The outcome of a policy command, transport-neutral. */
export interface PolicyCommandResult {
  readonly status: number;
  readonly value?: JsonValue;
  readonly headers: Readonly<Record<string, string>>;
  /** For creations of a whole policy, its ID (for a Location). */
  readonly createdId?: string;
}

/** [ditto: basic-policy "Actions"] the policy actions Ditto has: token integration. */
export const POLICY_ACTION_NAMES = ['activateTokenIntegration', 'deactivateTokenIntegration'] as const;
export type PolicyActionName = (typeof POLICY_ACTION_NAMES)[number];

/**
 * A policy action: on one entry (`label`), or top-level on every entry the caller may execute it
 * on. Actions need EXECUTE on `policy:/entries/<label>/actions/<name>`, not READ or WRITE.
 */
export interface PolicyActionCommand {
  readonly kind: 'policy.action';
  readonly action: PolicyActionName;
  readonly policyId: string;
  readonly label?: string;
  /** The request body, if any: `{"announcement": {...}}` for activateTokenIntegration. */
  readonly value?: JsonValue;
  readonly headers: DittoHeaders;
  readonly auth: AuthContext;
}

export function isPolicyActionName(name: string): name is PolicyActionName {
  return (POLICY_ACTION_NAMES as readonly string[]).includes(name);
}

/** `POST /checkPermissions`: named checks of the caller's permissions on resources of entities. */
export interface CheckPermissionsCommand {
  readonly checks: JsonValue;
  readonly headers: DittoHeaders;
  readonly auth: AuthContext;
}

export function policyCommand(fields: Omit<PolicyCommand, 'kind' | 'resource'>): PolicyCommand | undefined {
  const resource = classifyPolicyPath(fields.path);
  if (resource === undefined) return undefined;
  return { kind: 'policy.command', resource, ...fields };
}

/** Ditto's type string of a policy command, e.g. `policies.commands:modifyPolicyEntry`. */
export function policyCommandType(action: PolicyAction, resource: PolicyResource): string {
  return `policies.commands:${action}${POLICY_RESOURCE_NAMES[resource.kind]}`;
}

/** Ditto's type string of a policy event, e.g. `policies.events:policyEntryModified`. */
export function policyEventType(action: PolicyEventAction, resource: PolicyResource): string {
  const name = POLICY_RESOURCE_NAMES[resource.kind];
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  return `policies.events:${camel}${action.charAt(0).toUpperCase()}${action.slice(1)}`;
}

/**
 * The protocol path of a policy resource. Ditto writes subject IDs and resource keys into the
 * path as they are (`/entries/owner/resources/thing:/features/lamp`), without escaping.
 */
export function formatPolicyPath(path: Pointer): string {
  return '/' + path.join('/');
}

export function policyEventToJson(e: PolicyEvent): JsonObject {
  const out: JsonObject = { type: e.type, action: e.action, policyId: e.policyId, path: e.path, revision: e.revision, timestamp: e.timestamp };
  if (e.value !== undefined) out['value'] = e.value;
  return out;
}
