// Policy actions [ditto: basic-policy "Actions", TopLevelPolicyActionCommandStrategy,
// ActivateTokenIntegrationStrategy, DeactivateTokenIntegrationStrategy]: a caller authenticated
// with a JWT puts a subject derived from the token into policy entries (until the token expires)
// or takes it out again. Needs EXECUTE on policy:/entries/<label>/actions/<action>, not WRITE.

import { DittoError } from '../../model/errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { deleteAt, setAt } from '../../model/json-pointer.ts';
import { jsonByteLength } from '../../model/json-parse.ts';
import { jwtClaimValues, templateValues, compileTemplate, type CompiledTemplate } from '../../model/placeholders/index.ts';
import { canonicalPolicyJson, formatInstant, keepsPolicyManager, parseAnnouncement, validatePolicyJson, validateSubjectId, type Policy, type PolicyEntry } from '../../policy/index.ts';
import type { StoredEntity } from '../../ports/store.ts';
import { formatPolicyPath, type PolicyActionCommand, type PolicyActionName, type PolicyEvent } from '../../signals/index.ts';

/** [ditto: gateway.conf token-integration-subject] the default form of the injected subject. */
export const DEFAULT_TOKEN_INTEGRATION_SUBJECT = 'integration:{{policy-entry:label}}:{{jwt:aud}}';

const PREFIXES: ReadonlySet<string> = new Set(['header', 'jwt', 'policy-entry']);

/** Compiles the subject template; a malformed one is refused at start. */
export function compileTokenIntegrationSubject(source: string): CompiledTemplate {
  return compileTemplate(source, PREFIXES);
}

export function actionFailed(action: string, status: number, reason: string): DittoError {
  return new DittoError('policies:action.failed', { action, reason }, { status });
}

/** [ditto: PoliciesRoute.extractJwt] the token whose claims and expiry the action uses. */
export function requireJwt(cmd: PolicyActionCommand): { readonly claims: JsonObject; readonly expiresAtMs?: number } {
  if (cmd.auth.jwt === undefined) throw actionFailed(cmd.action, 400, 'Policy action is only possible with JWT authentication.');
  return cmd.auth.jwt;
}

/** The subject IDs the template gives for one entry; every placeholder must resolve. */
export function tokenSubjectIds(template: CompiledTemplate, cmd: PolicyActionCommand, label: string): readonly string[] {
  const claims = requireJwt(cmd).claims;
  const ids = templateValues(template, (prefix, name) => {
    if (prefix === 'jwt') return jwtClaimValues(claims, name);
    if (prefix === 'header') {
      const v = cmd.headers[name.toLowerCase()];
      return v === undefined ? [] : [v];
    }
    return prefix === 'policy-entry' && name === 'label' ? [label] : [];
  });
  if (ids.length === 0) {
    throw actionFailed(cmd.action, 400, `Mandatory placeholders could not be resolved, in detail: the template '${template.source}' gives no subject for this token.`);
  }
  for (const id of ids) validateSubjectId(id);
  return ids;
}

/** The optional `announcement` of an activateTokenIntegration body. */
export function actionAnnouncement(value: JsonValue | undefined): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) throw new DittoError('json.format.invalid', { reason: 'the body of a policy action must be a JSON object' });
  const a = value['announcement'];
  if (a === undefined) return undefined;
  parseAnnouncement(a);
  return a as JsonObject;
}

function holdsCaller(entry: PolicyEntry, subjects: readonly string[]): boolean {
  return subjects.some((s) => Object.prototype.hasOwnProperty.call(entry.subjects, s));
}

/**
 * [ditto: ActivateTokenIntegration.isApplicable] an entry qualifies when it names one of the
 * caller's subjects itself and (for activation) grants READ on some thing: resource without
 * revoking it there.
 */
export function applicable(action: PolicyActionName, entry: PolicyEntry, subjects: readonly string[]): boolean {
  if (!holdsCaller(entry, subjects)) return false;
  if (action === 'deactivateTokenIntegration') return true;
  return Object.entries(entry.resources).some(([key, p]) => key.startsWith('thing:') && p.grant.includes('READ') && !p.revoke.includes('READ'));
}

export function notApplicable(cmd: PolicyActionCommand): DittoError {
  if (cmd.label === undefined) return actionFailed(cmd.action, 404, 'No policy entry found for which the top level action could be applied.');
  return cmd.action === 'activateTokenIntegration'
    ? actionFailed(cmd.action, 404, 'No policy entry found containing one of the authorized subjects and with any READ permission for things.')
    : actionFailed(cmd.action, 404, 'No policy entry found containing one of the authorized subjects.');
}

export interface ActionChange {
  readonly label: string;
  readonly subjectIds: readonly string[];
}

export interface ActionDecision {
  readonly event: PolicyEvent;
  readonly next: StoredEntity;
}

interface DecideContext {
  readonly now: string;
  /** The subject JSON written for activations (type, rounded expiry, announcement). */
  readonly subject: JsonObject;
  readonly maxPolicyBytes: number;
}

/**
 * The event and next state of an action on `changes`. An entry-level action on one subject is a
 * SubjectCreated/Modified/Deleted; anything else (every top-level action, several subjects) one
 * SubjectsModifiedPartially/SubjectsDeletedPartially keyed by label, as Ditto aggregates them.
 */
export function decideAction(state: StoredEntity, cmd: PolicyActionCommand, changes: readonly ActionChange[], ctx: DecideContext): ActionDecision {
  const activate = cmd.action === 'activateTokenIntegration';
  let data = state.data;
  for (const c of changes) {
    for (const id of c.subjectIds) {
      const path = ['entries', c.label, 'subjects', id];
      data = activate ? setAt(data, path, structuredClone(ctx.subject)) : deleteAt(data, path);
    }
  }
  const policy: Policy = validatePolicyJson(data, state.id);
  const first = changes[0];
  // [ditto: ActivateTokenIntegrationStrategy] activation may replace a manager with an expiring subject.
  if (activate && !keepsPolicyManager(policy) && first !== undefined) {
    throw new DittoError('policies:entry.modificationinvalid', { policyId: state.id, label: first.label });
  }
  data = canonicalPolicyJson(policy);
  const revision = state.revision + 1;
  const base = { policyId: state.id, revision, timestamp: ctx.now };
  const single = cmd.label !== undefined && changes.length === 1 && first?.subjectIds.length === 1 ? first : undefined;
  let event: PolicyEvent;
  if (single !== undefined) {
    const id = single.subjectIds[0] as string;
    const path = formatPolicyPath(['entries', single.label, 'subjects', id]);
    const existed = policyHasSubject(state, single.label, id);
    event = activate
      ? { ...base, type: existed ? 'policies.events:subjectModified' : 'policies.events:subjectCreated', action: existed ? 'modified' : 'created', path, value: structuredClone(ctx.subject) }
      : { ...base, type: 'policies.events:subjectDeleted', action: 'deleted', path };
  } else if (activate) {
    const value = Object.fromEntries(changes.map((c) => [c.label, Object.fromEntries(c.subjectIds.map((id) => [id, structuredClone(ctx.subject)]))]));
    event = { ...base, type: 'policies.events:subjectsModifiedPartially', action: 'modified', path: '/', value };
  } else {
    const value = Object.fromEntries(changes.map((c) => [c.label, [...c.subjectIds]]));
    event = { ...base, type: 'policies.events:subjectsDeletedPartially', action: 'deleted', path: '/', value };
  }
  const bytes = jsonByteLength(data);
  if (bytes > ctx.maxPolicyBytes) throw new DittoError('policies:policy.toolarge', { actualKb: Math.ceil(bytes / 1024), maxKb: Math.floor(ctx.maxPolicyBytes / 1024) });
  return { event, next: { type: 'policy', id: state.id, revision, created: state.created, modified: ctx.now, deleted: state.deleted, data } };
}

function policyHasSubject(state: StoredEntity, label: string, id: string): boolean {
  const entry = validatePolicyJson(state.data, state.id).entries[label];
  return entry !== undefined && Object.prototype.hasOwnProperty.call(entry.subjects, id);
}

/** [ditto: ActivateTokenIntegrationStrategy MESSAGE_PATTERN_SUBJECT_TYPE] the subject's `type`. */
export function tokenSubjectType(action: PolicyActionName, nowMs: number): string {
  return `added via action <${action}> at <${formatInstant(nowMs)}>`;
}
