import { DittoError, isDittoError } from '../../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { parsePolicyId } from '../../model/ids.ts';
import { createDefaultPolicy, validatePolicyJson, type PolicyEnforcer } from '../../policy/index.ts';
import type { EntityWrite } from '../../ports/store.ts';
import type { ThingCommand } from '../../signals/index.ts';
import type { PoliciesService } from '../policies/policies-service.ts';
import { validateThing } from './thing-validation.ts';
import { namespaceOf } from './thing-view.ts';

/** How a new thing gets its policy, decided before the thing is created. */
export interface CreationPlan {
  readonly thing: JsonObject;
  readonly enforcer: PolicyEnforcer;
  /** Present when the thing brings a new policy (default, inline or copied). */
  readonly policyWrite?: EntityWrite;
}

const REF_PATTERN = /^\{\{\s*ref:things\/([^/]+)\/policyId\s*\}\}$/;

/** Resolves `{{ request:subjectId }}` in subject IDs of an inline policy [ditto: basic-policy placeholders]. */
function resolveSubjectPlaceholders(policy: JsonValue, subject: string): JsonValue {
  const text = JSON.stringify(policy).replace(/\{\{\s*request:subjectId\s*\}\}/g, subject.replace(/["\\]/g, (c) => `\\${c}`));
  return JSON.parse(text) as JsonValue;
}

export interface CreationContext {
  readonly policies: PoliciesService;
  /** Reads another thing's policyId with the caller's permissions (for `{{ ref:things/... }}`). */
  readonly policyIdOfThing: (thingId: string, cmd: ThingCommand) => Promise<string>;
  readonly timestamp: string;
}

/**
 * [ditto: default policy on thing creation] a thing without policyId, `_policy` or `_copyPolicyFrom`
 * gets a new policy with the thing's ID granting the creator READ and WRITE on thing:/, policy:/
 * and message:/. `_policy` and `_copyPolicyFrom` create a policy from the body or from an existing
 * policy; an existing policyId is used as it is when the creator may write the thing under it.
 */
export async function planCreation(cmd: ThingCommand, body: JsonObject, ctx: CreationContext): Promise<CreationPlan> {
  const inline = body['_policy'];
  const copyFrom = body['_copyPolicyFrom'];
  if (inline !== undefined && copyFrom !== undefined) throw new DittoError('things:policy.conflicting', { thingId: cmd.thingId });
  const thing = validateThing(body, cmd.thingId);
  const namespace = namespaceOf(cmd.thingId);
  const subjects = cmd.auth.subjects;
  const lockoutAllowed = cmd.headers['allow-policy-lockout'] === 'true';

  if (inline === undefined && copyFrom === undefined) {
    const givenPolicyId = thing['policyId'];
    if (typeof givenPolicyId === 'string') {
      const handle = await ctx.policies.handle(givenPolicyId, namespace);
      if (handle === undefined) throw new DittoError('policies:policy.notfound', { policyId: givenPolicyId });
      if (!handle.enforcer.hasUnrestricted('thing', [], subjects, ['WRITE'])) {
        throw new DittoError('things:thing.notmodifiable', { thingId: cmd.thingId });
      }
      return { thing, enforcer: handle.enforcer };
    }
    const policyId = cmd.thingId;
    const subject = subjects[0];
    if (subject === undefined) throw new DittoError('gateway:authentication.failed', { reason: 'no authorization subject' });
    const policy = createDefaultPolicy(policyId, subject) as unknown as JsonObject;
    return newPolicyPlan(cmd, { ...thing, policyId }, policy, policyId, ctx, true);
  }

  let source: JsonValue;
  if (inline !== undefined) {
    if (!isJsonObject(inline)) throw new DittoError('things:policy.invalid', { thingId: cmd.thingId, reason: '_policy must be a JSON object' });
    source = resolveSubjectPlaceholders(inline, subjects[0] ?? '');
  } else {
    if (typeof copyFrom !== 'string') throw new DittoError('things:policy.invalid', { thingId: cmd.thingId, reason: '_copyPolicyFrom must be a string' });
    const ref = REF_PATTERN.exec(copyFrom.trim());
    const sourceId = ref?.[1] !== undefined ? await ctx.policyIdOfThing(ref[1], cmd) : parsePolicyId(copyFrom).id;
    const handle = await ctx.policies.handle(sourceId, namespaceOf(sourceId));
    // The caller must be able to read the policy it copies.
    if (handle === undefined || !handle.enforcer.hasPartial('policy', [], subjects, ['READ'])) {
      throw new DittoError('policies:policy.notfound', { policyId: sourceId });
    }
    source = handle.entity.data;
  }
  const policyId = typeof thing['policyId'] === 'string' ? thing['policyId'] : cmd.thingId;
  const policyJson: JsonObject = { ...(source as JsonObject), policyId };
  return newPolicyPlan(cmd, { ...thing, policyId }, policyJson, policyId, ctx, lockoutAllowed);
}

async function newPolicyPlan(
  cmd: ThingCommand,
  thing: JsonObject,
  policyJson: JsonObject,
  policyId: string,
  ctx: CreationContext,
  lockoutAllowed: boolean,
): Promise<CreationPlan> {
  const previous = await ctx.policies.get(policyId);
  if (previous !== undefined) {
    throw new DittoError('things:thing.notcreatable', {
      thingId: cmd.thingId,
      reason: `a policy with the ID '${policyId}' already exists; give it as policyId to use it`,
    });
  }
  try {
    validatePolicyJson(policyJson, policyId);
  } catch (e) {
    if (!isDittoError(e)) throw e;
    throw new DittoError('things:policy.invalid', { thingId: cmd.thingId, reason: e.message });
  }
  const write = ctx.policies.creationWrite(policyJson, policyId, ctx.timestamp, await ctx.policies.load(policyId));
  const handle = await ctx.policies.compile(write.entity, namespaceOf(cmd.thingId));
  const subjects = cmd.auth.subjects;
  if (!handle.enforcer.hasUnrestricted('thing', [], subjects, ['WRITE'])) {
    throw new DittoError('things:thing.notmodifiable', { thingId: cmd.thingId });
  }
  // [ditto: policy lockout] the creator keeps WRITE on the policy unless lockout is allowed.
  if (!lockoutAllowed && !handle.enforcer.hasUnrestricted('policy', [], subjects, ['WRITE'])) {
    throw new DittoError('things:policy.invalid', { thingId: cmd.thingId, reason: 'the policy must grant you WRITE on policy:/' });
  }
  return { thing, enforcer: handle.enforcer, policyWrite: write };
}
