// [ditto: basic-auth-checkpermissions] POST /checkPermissions: for each named check, whether the
// caller holds all listed permissions, unrestricted, on a resource of an entity. An entity that
// does not exist (or whose policy does not) answers false, never an error.

import { DittoError } from '../../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { parsePolicyId, parseThingId } from '../../model/ids.ts';
import type { Permission, ResourceType } from '../../policy/index.ts';
import type { CheckPermissionsCommand } from '../../signals/index.ts';
import type { PolicyHandle } from './policy-enforcers.ts';
import { namespaceOfId } from './policy-retrieve.ts';

export interface CheckPermissionsDeps {
  /** The policyId of an existing thing, read without permission checks; undefined when there is none. */
  readonly policyIdOfThing: (thingId: string) => Promise<string | undefined>;
  readonly handle: (policyId: string, namespace: string) => Promise<PolicyHandle | undefined>;
}

interface Check {
  readonly type: ResourceType;
  readonly path: readonly string[];
  readonly entityId: string;
  /** Undefined when a permission is unknown: nobody holds it. */
  readonly permissions: readonly Permission[] | undefined;
}

function field(check: JsonObject, name: string): JsonValue {
  const v = check[name];
  if (v === undefined) throw new DittoError('json.field.missing', { field: name });
  return v;
}

function parseCheck(name: string, value: JsonValue | undefined): Check {
  if (!isJsonObject(value)) throw new DittoError('json.format.invalid', { reason: `the check '${name}' must be a JSON object` });
  const resource = field(value, 'resource');
  const entityId = field(value, 'entityId');
  const wanted = field(value, 'hasPermissions');
  if (typeof resource !== 'string' || typeof entityId !== 'string') {
    throw new DittoError('json.format.invalid', { reason: `'resource' and 'entityId' of the check '${name}' must be strings` });
  }
  if (!Array.isArray(wanted) || !wanted.every((p) => typeof p === 'string')) {
    throw new DittoError('json.format.invalid', { reason: `'hasPermissions' of the check '${name}' must be an array of strings` });
  }
  const colon = resource.indexOf(':');
  const type = colon < 0 ? '' : resource.slice(0, colon);
  if (type !== 'thing' && type !== 'policy' && type !== 'message') {
    throw new DittoError('json.invalid', { reason: `the resource type of the check '${name}' must be thing, policy or message` });
  }
  if (type === 'policy') parsePolicyId(entityId);
  else parseThingId(entityId);
  const known = wanted.every((p): p is Permission => p === 'READ' || p === 'WRITE' || p === 'EXECUTE');
  return {
    type,
    path: resource.slice(colon + 1).split('/').filter((s) => s !== ''),
    entityId,
    permissions: known && wanted.length > 0 ? wanted : undefined,
  };
}

/**
 * Policies are asked in their own namespace; things and messages in the thing's namespace, as
 * a request to the thing would be.
 */
async function enforcerFor(check: Check, deps: CheckPermissionsDeps): Promise<PolicyHandle | undefined> {
  if (check.type === 'policy') return deps.handle(check.entityId, namespaceOfId(check.entityId));
  const policyId = await deps.policyIdOfThing(check.entityId);
  return policyId === undefined ? undefined : deps.handle(policyId, namespaceOfId(check.entityId));
}

export async function checkPermissions(cmd: CheckPermissionsCommand, deps: CheckPermissionsDeps): Promise<JsonObject> {
  if (!isJsonObject(cmd.checks)) throw new DittoError('json.format.invalid', { reason: 'the checks must be a JSON object' });
  const body = cmd.checks;
  const checks = Object.keys(body).map((name) => [name, parseCheck(name, body[name])] as const);
  const handles = new Map<string, Promise<PolicyHandle | undefined>>();
  const results = await Promise.all(checks.map(async ([, check]) => {
    if (check.permissions === undefined) return false;
    const key = `${check.type === 'policy' ? 'p' : 't'}\u0000${check.entityId}`;
    let handle = handles.get(key);
    if (handle === undefined) {
      handle = enforcerFor(check, deps);
      handles.set(key, handle);
    }
    const h = await handle;
    return h !== undefined && h.enforcer.hasUnrestricted(check.type, check.path, cmd.auth.subjects, check.permissions);
  }));
  return Object.fromEntries(checks.map(([name], i) => [name, results[i] ?? false]));
}
