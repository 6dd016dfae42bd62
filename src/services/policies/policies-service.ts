import { DittoError } from '../../model/errors/index.ts';
import { jsonEquals, type JsonObject, type JsonValue } from '../../model/json.ts';
import { getAt } from '../../model/json-pointer.ts';
import { parsePolicyId, withDefaultNamespace } from '../../model/ids.ts';
import {
  canonicalPolicyJson, earliestExpiry, formatInstant, type PolicyEntry, validateEntriesJson, validateImportJson, validateImportsJson, validatePolicyEntryJson,
  validatePolicyJson, validateReferences, type ExpiredSubject, type NamespaceRoots, type Policy,
} from '../../policy/index.ts';
import type { Bus } from '../../ports/bus.ts';
import type { EntityWrite, Store, StoredEntity, WriteUnit } from '../../ports/store.ts';
import {
  policyEventToJson, policyPermissionPath, type DittoHeaders, type PolicyActionCommand, type PolicyCommand, type PolicyCommandResult,
  type PolicyEvent,
} from '../../signals/index.ts';
import type { CompiledTemplate } from '../../model/placeholders/index.ts';
import { KeyedQueue } from '../common/lru-cache.ts';
import { checkEntityTags, entityTag } from '../things/preconditions.ts';
import { decidePolicyCreate, decidePolicyDelete, decidePolicyModify, type PolicyDecision } from './policy-decide.ts';
import { PolicyEnforcers, type PolicyHandle } from './policy-enforcers.ts';
import { policyNotFound, policyNotModifiable } from './policy-errors.ts';
import { checkImportsReadable, checkReferencesReadable } from './policy-import-access.ts';
import { namespaceOfId, readableView, resolvedView, storedValue } from './policy-retrieve.ts';
import { subject as subjectValue, validatedPolicy, validatedWrite, type ValidatedWrite, type ValueContext } from './policy-values.ts';
import {
  actionAnnouncement, actionFailed, applicable, compileTokenIntegrationSubject, decideAction, DEFAULT_TOKEN_INTEGRATION_SUBJECT,
  notApplicable, requireJwt, tokenSubjectIds, tokenSubjectType,
} from './policy-actions.ts';
import { decideSweep, ExpiryTimers, hasSubjectExpiry } from './subject-expiry.ts';
import { SubjectAnnouncer, type AnnouncerOptions } from './announcements.ts';

export type { PolicyHandle } from './policy-enforcers.ts';

export interface PoliciesServiceOptions {
  readonly cacheMaxPolicies: number;
  readonly now: () => Date;
  readonly defaultNamespace: string;
  readonly maxPolicyBytes: number;
  /** Modifications waiting for one policy before more are refused with 429. */
  readonly maxQueuedPerPolicy: number;
  /** Subject expiries are rounded up to a multiple of this [ditto: POLICY_SUBJECT_EXPIRY_GRANULARITY]. */
  readonly subjectExpiryGranularityMs: number;
  /** `beforeExpiry` of announcements is rounded up to this [ditto: POLICY_SUBJECT_DELETION_ANNOUNCEMENT_GRANULARITY]; default 1 min. */
  readonly announcementGranularityMs?: number;
  /** The subject token integration injects [ditto: OAUTH_TOKEN_INTEGRATION_SUBJECT]. */
  readonly tokenIntegrationSubject?: string;
  /**
   * Called after expired subjects were removed from a policy. (Announcements do not need it: the
   * announcer sees the removal in the next state of the policy.)
   */
  readonly onSubjectsExpired?: (policyId: string, subjects: readonly ExpiredSubject[]) => void;
  /** Subject deletion announcements over the bus; none are sent without these settings. */
  readonly announcements?: AnnouncerOptions;
  /** Operator-configured namespace root policies [ditto: ditto.namespace-policies]. */
  readonly namespaceRoots?: NamespaceRoots;
}

export interface PoliciesServiceDeps {
  readonly store: Store;
  readonly committer: { submit(unit: WriteUnit): Promise<void> };
  readonly bus: Bus;
}

/**
 * Whether a policy's JSON text (as JSON.stringify wrote it) may have a subject that expires or is
 * announced: false only when neither member name occurs anywhere in it, which JSON.stringify
 * would have written as it is.
 */
function mayExpireOrAnnounce(text: string): boolean {
  return text.includes('"expiry"') || text.includes('"announcement"');
}

const READ = ['READ'] as const;
const WRITE = ['WRITE'] as const;
const EXECUTE = ['EXECUTE'] as const;

/**
 * Policy commands (the Policies API) and the compiled policies every other service enforces with.
 * Modifications of one policy run one after another; retrieves read the committed state.
 */
export class PoliciesService {
  private readonly enforcers: PolicyEnforcers;
  private readonly queue = new KeyedQueue();
  private readonly timers: ExpiryTimers;
  private readonly deps: PoliciesServiceDeps;
  private readonly options: PoliciesServiceOptions;
  private readonly tokenSubject: CompiledTemplate;
  private readonly announcer: SubjectAnnouncer | undefined;
  private closed = false;

  constructor(deps: PoliciesServiceDeps, options: PoliciesServiceOptions) {
    this.deps = deps;
    this.options = options;
    this.tokenSubject = compileTokenIntegrationSubject(options.tokenIntegrationSubject ?? DEFAULT_TOKEN_INTEGRATION_SUBJECT);
    this.timers = new ExpiryTimers(options.now, (id) => void this.sweep(id));
    this.enforcers = new PolicyEnforcers(deps.store, {
      cacheMaxPolicies: options.cacheMaxPolicies,
      now: options.now,
      observe: (e) => this.observe(e),
      ...(options.namespaceRoots === undefined ? {} : { namespaceRoots: options.namespaceRoots }),
    });
    this.announcer = options.announcements === undefined ? undefined : new SubjectAnnouncer(deps.bus, options.announcements);
  }

  /** The current policy entity, or undefined when it does not exist (or was deleted). */
  get(policyId: string): Promise<StoredEntity | undefined> {
    return this.enforcers.get(policyId);
  }

  /** Like `get`, but a deleted policy's tombstone is returned too (its revision goes on). */
  load(policyId: string): Promise<StoredEntity | undefined> {
    return this.enforcers.load(policyId);
  }

  /**
   * The compiled policy for an entity in `namespace`; undefined when the policy does not exist.
   * 503 when it cannot be loaded. `lasting`: the `policyId` string is held for long anyway (a
   * cached thing's), so a policy loaded now takes it as its ID instead of a copy.
   */
  handle(policyId: string, namespace: string, lasting = false): Promise<PolicyHandle | undefined> {
    return this.enforcers.handle(policyId, namespace, lasting);
  }

  /** Compiles a policy state that is not committed yet (a policy created together with a thing). */
  compile(entity: StoredEntity, namespace: string): Promise<PolicyHandle> {
    return this.enforcers.compile(entity, namespace);
  }

  /** Called after a commit so the next request sees the new state. */
  committed(entity: StoredEntity): void {
    this.enforcers.committed(entity);
  }

  /** The write that creates `policy` (validated JSON with its policyId), after `previous` if it was deleted. */
  creationWrite(policy: JsonObject, policyId: string, timestamp: string, previous: StoredEntity | undefined): EntityWrite {
    const ctx = this.valueContext(undefined);
    const data = canonicalPolicyJson(validatedPolicy(policy, policyId, ctx));
    const revision = (previous?.revision ?? 0) + 1;
    const entity: StoredEntity = { type: 'policy', id: policyId, revision, created: timestamp, modified: timestamp, deleted: false, data };
    const event: JsonObject = { type: 'policies.events:policyCreated', action: 'created', policyId, path: '/', value: data, revision, timestamp };
    return { entity, event, expectedRevision: previous?.revision ?? 0 };
  }

  handleCommand(cmd: PolicyCommand): Promise<PolicyCommandResult> {
    parsePolicyId(cmd.policyId);
    if (cmd.action === 'retrieve') return this.retrieve(cmd);
    const c = cmd.path.length === 0 ? { ...cmd, policyId: withDefaultNamespace(cmd.policyId, this.options.defaultNamespace, 'policy').id } : cmd;
    if (this.queue.pending(c.policyId) >= this.options.maxQueuedPerPolicy) {
      return Promise.reject(new DittoError('policies:policy.toomanymodifyingrequests', { policyId: c.policyId }));
    }
    return this.queue.run(c.policyId, () => this.modify(c));
  }

  /** [ditto: basic-policy "Actions"] activateTokenIntegration / deactivateTokenIntegration → 204. */
  handleAction(cmd: PolicyActionCommand): Promise<PolicyCommandResult> {
    parsePolicyId(cmd.policyId);
    requireJwt(cmd);
    // Placeholders other than the label resolve the same for every entry: fail before any work.
    tokenSubjectIds(this.tokenSubject, cmd, '-');
    const announcement = cmd.action === 'activateTokenIntegration' ? actionAnnouncement(cmd.value) : undefined;
    if (this.queue.pending(cmd.policyId) >= this.options.maxQueuedPerPolicy) {
      return Promise.reject(new DittoError('policies:policy.toomanymodifyingrequests', { policyId: cmd.policyId }));
    }
    return this.queue.run(cmd.policyId, () => this.runAction(cmd, announcement));
  }

  private async runAction(cmd: PolicyActionCommand, announcement: JsonObject | undefined): Promise<PolicyCommandResult> {
    const state = await this.enforcers.get(cmd.policyId);
    if (state === undefined) throw new DittoError('policies:policy.notfound', { policyId: cmd.policyId });
    const handle = await this.ownHandle(state);
    const subjects = cmd.auth.subjects;
    const labels = cmd.label === undefined ? Object.keys(handle.policy.entries) : [cmd.label];
    // [ditto: PolicyCommandEnforcement.authorizeActionCommand] EXECUTE on the action of the entry.
    const executable = labels.filter((l) => handle.enforcer.hasUnrestricted('policy', ['entries', l, 'actions', cmd.action], subjects, EXECUTE));
    if (executable.length === 0) throw actionFailed(cmd.action, 403, "The requester has insufficient permissions. 'EXECUTE' is required.");
    const entries = handle.policy.entries;
    const chosen = executable.filter((l) => Object.prototype.hasOwnProperty.call(entries, l) && applicable(cmd.action, entries[l] as PolicyEntry, subjects));
    if (chosen.length === 0) throw notApplicable(cmd);
    const changes = chosen.map((label) => ({ label, subjectIds: tokenSubjectIds(this.tokenSubject, cmd, label) }));
    const nowMs = this.options.now().getTime();
    const now = this.options.now().toISOString();
    const subject: JsonObject = { type: tokenSubjectType(cmd.action, nowMs) };
    if (cmd.action === 'activateTokenIntegration') {
      const exp = cmd.auth.jwt?.expiresAtMs;
      if (exp === undefined) throw actionFailed(cmd.action, 400, 'The JWT has no expiry (exp) the injected subject could take.');
      const ctx = this.valueContext(undefined);
      const adjusted = subjectValue({ type: String(subject['type']), expiry: formatInstant(exp), ...(announcement === undefined ? {} : { announcement }) }, ctx);
      Object.assign(subject, adjusted);
    }
    const decision = decideAction(state, cmd, changes, { now, subject, maxPolicyBytes: this.options.maxPolicyBytes });
    await this.commitAndPublish(decision, cmd);
    // [ditto: ActivateTokenIntegrationStrategy] no ETag: injected subjects do not support them.
    return { status: 204, headers: {} };
  }

  /**
   * Plans the expiry sweep and the announcements of every stored policy with expiring subjects, as
   * loading it would: after a restart, a policy nobody touches is otherwise never swept nor
   * announced. Reads the store a bounded page at a time (only the timers and the announcement heap
   * keep anything) and stops when the service closes. Resolves with the number of policies planned;
   * rejects when a page cannot be read `attempts` times in a row.
   */
  async scheduleStored(options: { readonly pageSize?: number; readonly attempts?: number; readonly retryMs?: number } = {}): Promise<number> {
    const pageSize = options.pageSize ?? 500;
    let afterId = '';
    let planned = 0;
    for (let failures = 0; !this.closed;) {
      let page: StoredEntity[];
      try {
        page = await this.deps.store.scan('policy', afterId, pageSize);
        failures = 0;
      } catch (e) {
        if (this.closed) break;
        if (++failures >= (options.attempts ?? 5)) throw e;
        await new Promise((r) => setTimeout(r, options.retryMs ?? 1000));
        continue;
      }
      for (const e of page) {
        // A policy loaded or written since the start is followed already, maybe in a newer state
        // than this page's: observing the older one would look like its newer subjects were deleted.
        if (this.closed || e.deleted || !hasSubjectExpiry(e.data) || this.enforcers.isCached(e.id)) continue;
        try {
          this.observe(e);
          planned++;
        } catch {
          // A stored policy that no longer validates is skipped here; loading it reports the problem.
        }
      }
      const last = page[page.length - 1];
      if (last === undefined || page.length < pageSize) break;
      afterId = last.id;
    }
    return planned;
  }

  /** Idempotent: stops the expiry timers and announcements. */
  close(): void {
    this.closed = true;
    this.timers.close();
    this.announcer?.close();
  }

  /** Every loaded or committed state: expiry timer and announcement schedule follow it. */
  private observe(e: StoredEntity): void {
    if (!e.deleted && e.dataText !== undefined && !mayExpireOrAnnounce(e.dataText)) {
      // Loaded, and no subject expires or is announced: what the parsed policy would give (no
      // expiry, nothing announced), without parsing every policy a restarted server loads.
      this.timers.schedule(e.id, undefined);
      this.announcer?.observe(e.id, undefined);
      return;
    }
    const policy = e.deleted ? undefined : validatePolicyJson(e.data, e.id);
    this.timers.schedule(e.id, policy === undefined ? undefined : earliestExpiry(policy));
    this.announcer?.observe(e.id, policy);
  }

  private valueContext(subject: string | undefined): ValueContext {
    return {
      requestSubject: subject,
      nowMs: this.options.now().getTime(),
      expiryGranularityMs: this.options.subjectExpiryGranularityMs,
      announcementGranularityMs: this.options.announcementGranularityMs ?? 60_000,
    };
  }

  private ownHandle(state: StoredEntity): Promise<PolicyHandle> {
    return this.enforcers.handle(state.id, namespaceOfId(state.id)).then((h) => h ?? this.enforcers.compile(state, namespaceOfId(state.id)));
  }

  private async retrieve(cmd: PolicyCommand): Promise<PolicyCommandResult> {
    const state = await this.enforcers.get(cmd.policyId);
    if (state === undefined) throw new DittoError('policies:policy.notfound', { policyId: cmd.policyId });
    const handle = await this.ownHandle(state);
    const subjects = cmd.auth.subjects;
    // [ditto: PolicyCommandEnforcement] retrieves need partial READ on the policy:/ resource.
    if (!handle.enforcer.hasPartial('policy', policyPermissionPath(cmd.path), subjects, READ)) throw policyNotFound(cmd.policyId, cmd.resource);
    if (cmd.view === 'resolved' && cmd.path.length === 0) {
      // The merged view changes without this policy's revision moving: no ETag, no preconditions.
      const value = await resolvedView(handle, state, cmd, (id) => this.enforcers.handle(id, namespaceOfId(id)));
      return { status: 200, value, headers: { 'entity-revision': String(state.revision) } };
    }
    const raw = storedValue(state, cmd);
    const tag = entityTag(cmd.path, state.revision, raw);
    checkEntityTags(cmd.headers, tag, true, 'policies');
    if (raw === undefined) throw policyNotFound(cmd.policyId, cmd.resource);
    return { status: 200, value: readableView(handle, state, cmd, raw), headers: this.tagHeaders(tag, state.revision) };
  }

  private tagHeaders(tag: string | undefined, revision: number): Record<string, string> {
    const h: Record<string, string> = { 'entity-revision': String(revision) };
    if (tag !== undefined) h['etag'] = tag;
    return h;
  }

  private async modify(cmd: PolicyCommand): Promise<PolicyCommandResult> {
    const ctx = this.valueContext(cmd.auth.subjects[0]);
    // Bodies are validated before anything else, as Ditto parses them at the edge.
    const write = cmd.action === 'delete' ? undefined : validatedWrite(cmd, ctx);
    const state = await this.enforcers.load(cmd.policyId);
    const exists = state !== undefined && !state.deleted;
    if (cmd.path.length === 0 && write !== undefined) {
      if (!exists) return this.create(cmd, write, state);
      if (cmd.action === 'create') throw new DittoError('policies:policy.conflict', { policyId: cmd.policyId });
    }
    if (!exists) throw new DittoError('policies:policy.notfound', { policyId: cmd.policyId });
    const handle = await this.ownHandle(state);
    this.enforceWrite(cmd, handle);
    const timestamp = this.options.now().toISOString();
    const decideCtx = { now: timestamp, maxPolicyBytes: this.options.maxPolicyBytes };
    let decision: PolicyDecision | undefined;
    if (write === undefined) {
      checkEntityTags(cmd.headers, entityTag(cmd.path, state.revision, getAt(state.data, cmd.path)), false, 'policies');
      decision = decidePolicyDelete(state, cmd, decideCtx);
    } else {
      const current = getAt(state.data, write.path);
      checkEntityTags(cmd.headers, entityTag(write.path, state.revision, current), false, 'policies');
      this.skipIfEqual(cmd, current, write.value);
      await this.checkImportAccess(cmd, write);
      decision = decidePolicyModify(state, cmd, write, decideCtx);
    }
    if (decision === undefined) return { status: 204, headers: { 'entity-revision': String(state.revision) } };
    await this.commitAndPublish(decision, cmd);
    const path = write?.path ?? cmd.path;
    const tag = decision.next.deleted ? undefined : entityTag(path, decision.next.revision, getAt(decision.next.data, path));
    return { status: decision.status, headers: this.tagHeaders(tag, decision.next.revision), ...(decision.value === undefined ? {} : { value: decision.value }) };
  }

  /**
   * [ditto: authorization outcome rules] changes need unrestricted WRITE on the policy:/ resource
   * they touch; a caller who may not read the policy at all learns nothing (404), others get 403.
   */
  private enforceWrite(cmd: PolicyCommand, handle: PolicyHandle): void {
    const subjects = cmd.auth.subjects;
    if (handle.enforcer.hasUnrestricted('policy', policyPermissionPath(cmd.path), subjects, WRITE)) return;
    if (!handle.enforcer.hasPartial('policy', [], subjects, READ)) throw new DittoError('policies:policy.notfound', { policyId: cmd.policyId });
    throw policyNotModifiable(cmd.policyId, cmd.resource);
  }

  /** [ditto: if-equal] `skip` leaves an unchanged value alone and says so with 412. */
  private skipIfEqual(cmd: PolicyCommand, current: JsonValue | undefined, next: JsonValue): void {
    const mode = cmd.headers['if-equal'];
    if (mode === undefined || mode === 'update') return;
    if (jsonEquals(current, next)) throw new DittoError('policies:precondition.failed', { header: 'if-equal', value: mode, etag: 'unchanged' });
  }

  private async checkImportAccess(cmd: PolicyCommand, write: ValidatedWrite): Promise<void> {
    const subjects = cmd.auth.subjects;
    const load = (id: string, ns: string): Promise<PolicyHandle | undefined> => this.enforcers.handle(id, ns);
    const r = cmd.resource;
    const v = write.value;
    switch (r.kind) {
      case 'policy': {
        const policy = validatePolicyJson(v, cmd.policyId);
        await checkImportsReadable(policy.imports ?? {}, subjects, load);
        return checkReferencesReadable(Object.values(policy.entries), subjects, load, policy);
      }
      case 'imports':
        return checkImportsReadable(validateImportsJson(v), subjects, load);
      case 'import':
        return checkImportsReadable({ [r.importedPolicyId]: validateImportJson(r.importedPolicyId, v) }, subjects, load);
      case 'entries':
        return checkReferencesReadable(Object.values(validateEntriesJson(v)), subjects, load);
      case 'entry':
        return checkReferencesReadable([validatePolicyEntryJson(r.label, v)], subjects, load);
      case 'references':
        return checkReferencesReadable([{ subjects: {}, resources: {}, references: validateReferences(r.label, v) }], subjects, load);
      default:
        return undefined;
    }
  }

  private async create(cmd: PolicyCommand, write: ValidatedWrite, previous: StoredEntity | undefined): Promise<PolicyCommandResult> {
    const data = write.value as JsonObject;
    const timestamp = this.options.now().toISOString();
    const transient: StoredEntity = { type: 'policy', id: cmd.policyId, revision: (previous?.revision ?? 0) + 1, created: timestamp, modified: timestamp, deleted: false, data };
    const handle = await this.enforcers.compile(transient, namespaceOfId(cmd.policyId));
    // [ditto: PolicyCommandEnforcement.authorizeCreatePolicy] the creator must be able to manage
    // the new policy, unless they explicitly allow locking themselves out.
    const lockoutAllowed = cmd.headers['allow-policy-lockout'] === 'true';
    if (!lockoutAllowed && !handle.enforcer.hasUnrestricted('policy', [], cmd.auth.subjects, WRITE)) {
      throw new DittoError('policies:policy.notcreatable', { policyId: cmd.policyId, reason: 'the policy would not grant you WRITE on policy:/' });
    }
    checkEntityTags(cmd.headers, undefined, false, 'policies');
    await this.checkImportAccess(cmd, write);
    const decision = decidePolicyCreate(previous, cmd, data, { now: timestamp, maxPolicyBytes: this.options.maxPolicyBytes });
    await this.commitAndPublish(decision, cmd);
    return { status: 201, value: decision.next.data, headers: this.tagHeaders(`"rev:${decision.next.revision}"`, decision.next.revision), createdId: cmd.policyId };
  }

  private async commitAndPublish(decision: { readonly event: PolicyEvent; readonly next: StoredEntity }, cmd: { readonly headers: DittoHeaders } | undefined): Promise<void> {
    const write: EntityWrite = { entity: decision.next, event: policyEventToJson(decision.event), expectedRevision: decision.next.revision - 1 };
    try {
      await this.deps.committer.submit([write]);
    } catch (e) {
      if (e instanceof DittoError) throw e;
      throw new DittoError('policies:policy.unavailable', { policyId: decision.next.id }, { cause: e });
    }
    this.enforcers.committed(decision.next);
    const payload = policyEventToJson(decision.event);
    const correlationId = cmd?.headers['correlation-id'];
    if (correlationId !== undefined) payload['headers'] = { 'correlation-id': correlationId };
    // policies.events.<action>.<namespace tokens>, `_` for the empty namespace (as for things).
    this.deps.bus.publish({ subject: `policies.events.${decision.event.action}.${namespaceOfId(decision.next.id) || '_'}`, payload });
  }

  /** Removes the subjects of a policy whose expiry has passed, through the policy's queue. */
  async sweep(policyId: string): Promise<void> {
    try {
      await this.queue.run(policyId, async () => {
        const state = await this.enforcers.get(policyId);
        if (state === undefined) return;
        const now = this.options.now();
        const decision = decideSweep(state, now.getTime(), now.toISOString());
        if (decision === undefined) {
          this.timers.schedule(policyId, earliestExpiry(validatePolicyJson(state.data, policyId)));
          return;
        }
        await this.commitAndPublish(decision, undefined);
        this.options.onSubjectsExpired?.(policyId, decision.removed);
      });
    } catch {
      // A failed sweep (store unavailable) is tried again later; enforcement ignores the
      // expired subjects meanwhile.
      this.timers.schedule(policyId, this.options.now().getTime() + 1000);
    }
  }

  /** The stored policy model of an existing policy, undefined when there is none. */
  async policy(policyId: string): Promise<Policy | undefined> {
    const e = await this.enforcers.get(policyId);
    return e === undefined ? undefined : validatePolicyJson(e.data, policyId);
  }
}
