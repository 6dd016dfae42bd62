import { DittoError } from '../model/errors/index.ts';
import { parsePolicyId } from '../model/ids.ts';
import { isJsonObject, type JsonValue } from '../model/json.ts';
import { parsePointer, type Pointer } from '../model/json-pointer.ts';
import { formatResourceKey, parseResourceKey } from '../policy/index.ts';
import {
  classifyPolicyPath,
  formatPolicyPath,
  type AuthContext,
  type CheckPermissionsCommand,
  type PolicyAction,
  type PolicyCommand,
  type PolicyCommandResult,
  type PolicyResource,
  type PolicyResourceKind,
  type PolicyView,
} from '../signals/index.ts';
import type { Envelope } from './envelope.ts';
import { CONTENT_TYPE_JSON } from './headers.ts';
import { illegalAdaptable, unknownPath, unknownTopic } from './protocol-errors.ts';
import type { CheckPermissionsResponse, CheckPermissionsSignal, PolicyCommandResponse } from './protocol-signals.ts';
import { formatTopic, TOPIC_PLACEHOLDER, topicPartsOf, type CommandAction, type Topic } from './topic.ts';

/**
 * [ditto: protocol-specification-policies] Policy commands: `<ns>/<name>/policies/commands/<action>`
 * (no channel), an action on a path inside the policy. A subject ID or resource key is the whole
 * rest of the path after `subjects/` or `resources/`, slashes included
 * (`/entries/owner/resources/thing:/features/lamp`).
 */

const POLICY_ACTIONS: ReadonlySet<string> = new Set<PolicyAction>(['create', 'modify', 'retrieve', 'delete']);

function isPolicyAction(a: CommandAction): a is PolicyAction {
  return POLICY_ACTIONS.has(a);
}

/** [ditto: PolicyModifyCommandMappingStrategies] what can be deleted; everything can be modified and retrieved. */
const DELETABLE: ReadonlySet<PolicyResourceKind> = new Set<PolicyResourceKind>(['policy', 'entry', 'subject', 'resource', 'allowedAdditions', 'references', 'imports', 'import']);

/** Whether Ditto has a command (and response) for this action on this resource. */
export function hasPolicyCommand(action: PolicyAction, resource: PolicyResource): boolean {
  if (action === 'create') return resource.kind === 'policy';
  if (action === 'delete') return DELETABLE.has(resource.kind);
  return true;
}

/**
 * The path inside a policy of a protocol path. [ditto: AbstractPolicyMappingStrategies] subject
 * IDs and resource keys take the rest of the path; resource keys in their canonical form, so that
 * `thing:` (a trailing slash is dropped from every path) is `thing:/`.
 */
export function policyPathOf(path: string): Pointer {
  const segments = path === '/' ? [] : path.slice(1).split('/');
  const [top, label, part] = segments;
  if (top === 'entries' && label !== undefined && label !== '' && (part === 'subjects' || part === 'resources') && segments.length > 3) {
    const rest = segments.slice(3).join('/');
    const key = part === 'resources' ? canonicalResourceKey(rest, label) : rest;
    return ['entries', label, part, key];
  }
  return parsePointer(path);
}

function canonicalResourceKey(text: string, label: string): string {
  const key = parseResourceKey(text, label);
  return formatResourceKey(key.type, key.path);
}

interface Target {
  readonly action: PolicyAction;
  readonly policyId: string;
  readonly path: Pointer;
  readonly resource: PolicyResource;
}

function targetOf(env: Envelope): Target {
  const topic = env.topic;
  if (topic.group !== 'policies' || topic.criterion !== 'commands') throw unknownTopic(formatTopic(topic), 'Not a policy command topic.');
  const action = topic.action;
  if (!isPolicyAction(action)) throw unknownTopic(formatTopic(topic), `Policies have no '${action}' command here.`);
  const policyId = parsePolicyId(`${topic.namespace}:${topic.name}`).id;
  const path = policyPathOf(env.path);
  const resource = classifyPolicyPath(path);
  if (resource === undefined) throw unknownPath(env.path);
  if (!hasPolicyCommand(action, resource)) throw unknownTopic(formatTopic(topic), `There is no '${action}' command for the path '${env.path}'.`);
  return { action, policyId, path, resource };
}

function isCheckPermissions(topic: Topic): boolean {
  return topic.group === 'policies' && topic.criterion === 'commands' && topic.action === 'checkPermissions';
}

/** [ditto: PoliciesParameter policy-view] `original` (the default) or `resolved`. */
function viewOf(env: Envelope): PolicyView | undefined {
  const view = env.headers['policy-view'];
  if (view === undefined || view === 'original' || view === 'resolved') return view;
  throw new DittoError('policies:view.invalid', { view });
}

/** A policy command envelope (no `status`) as a signal. */
export function policyCommandFromEnvelope(env: Envelope, auth: AuthContext): PolicyCommand | CheckPermissionsSignal {
  if (isCheckPermissions(env.topic)) {
    // [ditto: CheckPermissionsCommandMappingStrategies] a value that is no object checks nothing.
    return { kind: 'policies.checkPermissions', checks: isJsonObject(env.value) ? env.value : {}, headers: env.headers, auth };
  }
  const t = targetOf(env);
  const needsValue = t.action === 'create' || t.action === 'modify';
  if (needsValue && env.value === undefined) throw illegalAdaptable(`the ${t.action} command at '${env.path}' has no value.`);
  // [ditto: RetrievePolicy] only the whole policy is retrieved with a field selector and a view.
  const whole = t.action === 'retrieve' && t.resource.kind === 'policy';
  const view = whole ? viewOf(env) : undefined;
  return {
    kind: 'policy.command',
    ...t,
    headers: env.headers,
    auth,
    ...(needsValue && env.value !== undefined ? { value: env.value } : {}),
    ...(whole && env.fields !== undefined ? { fields: env.fields } : {}),
    ...(view === undefined ? {} : { view }),
  };
}

function commandTopic(policyId: string, action: CommandAction): Topic {
  const { namespace, name } = topicPartsOf(policyId);
  return { namespace, name, group: 'policies', criterion: 'commands', action };
}

const CHECK_PERMISSIONS_TOPIC: Topic = {
  namespace: TOPIC_PLACEHOLDER,
  name: TOPIC_PLACEHOLDER,
  group: 'policies',
  criterion: 'commands',
  action: 'checkPermissions',
};

function withJson(headers: Readonly<Record<string, string>>): Record<string, string> {
  return { ...headers, 'content-type': CONTENT_TYPE_JSON };
}

export function policyCommandToEnvelope(cmd: PolicyCommand): Envelope {
  return {
    topic: commandTopic(cmd.policyId, cmd.action),
    headers: withJson(cmd.headers),
    path: formatPolicyPath(cmd.path),
    ...(cmd.value === undefined || (cmd.action !== 'create' && cmd.action !== 'modify') ? {} : { value: cmd.value }),
    ...(cmd.fields === undefined || cmd.action !== 'retrieve' ? {} : { fields: cmd.fields }),
  };
}

export function checkPermissionsToEnvelope(sig: CheckPermissionsSignal): Envelope {
  return { topic: CHECK_PERMISSIONS_TOPIC, headers: withJson(sig.headers), path: '/', value: sig.checks };
}

/** A response envelope (with `status`) on a policy command topic as a signal. */
export function policyResponseFromEnvelope(env: Envelope): PolicyCommandResponse | CheckPermissionsResponse {
  const status = env.status;
  if (status === undefined) throw illegalAdaptable('a response needs a status.');
  if (isCheckPermissions(env.topic)) {
    return { kind: 'policies.checkPermissions.response', status, value: env.value ?? {}, headers: env.headers };
  }
  return { kind: 'policy.response', ...targetOf(env), status, headers: env.headers, ...(env.value === undefined ? {} : { value: env.value }) };
}

/** The response to `cmd` for the service's `result`, with the command's headers and the outcome's. */
export function policyResponseFor(cmd: PolicyCommand, result: PolicyCommandResult): PolicyCommandResponse {
  return {
    kind: 'policy.response',
    action: cmd.action,
    policyId: cmd.policyId,
    path: cmd.path,
    resource: cmd.resource,
    status: result.status,
    headers: { ...cmd.headers, ...result.headers },
    ...(result.value === undefined ? {} : { value: result.value }),
  };
}

export function checkPermissionsResponseFor(cmd: CheckPermissionsCommand, results: JsonValue): CheckPermissionsResponse {
  return { kind: 'policies.checkPermissions.response', status: 200, value: results, headers: cmd.headers };
}

/**
 * [ditto: Policy*Response.getEntity] 200 carries the resource; 201 only for the resources whose
 * "created" responses hold one; 204 nothing.
 */
const VALUE_WHEN_CREATED: ReadonlySet<PolicyResourceKind> = new Set<PolicyResourceKind>(['policy', 'entry', 'subject', 'resource', 'references', 'imports', 'import']);

function responseValue(r: PolicyCommandResponse): JsonValue | undefined {
  if (r.status === 200) return r.value;
  if (r.status === 201 && VALUE_WHEN_CREATED.has(r.resource.kind)) return r.value;
  return undefined;
}

export function policyResponseToEnvelope(r: PolicyCommandResponse): Envelope {
  const value = responseValue(r);
  return {
    topic: commandTopic(r.policyId, r.action),
    headers: withJson(r.headers),
    path: formatPolicyPath(r.path),
    status: r.status,
    ...(value === undefined ? {} : { value }),
  };
}

export function checkPermissionsResponseToEnvelope(r: CheckPermissionsResponse): Envelope {
  return { topic: CHECK_PERMISSIONS_TOPIC, headers: withJson(r.headers), path: '/', status: r.status, value: r.value };
}
