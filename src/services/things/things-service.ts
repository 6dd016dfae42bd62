import { DittoError } from '../../model/errors/index.ts';
import { isJsonObject, jsonEquals, type JsonObject, type JsonValue } from '../../model/json.ts';
import { getAt, type Pointer } from '../../model/json-pointer.ts';
import { applyFieldSelector, fieldSelectorPointers, parseFieldSelector } from '../../model/field-selector.ts';
import { mergePatchTouchedPaths, removeNullsForCreate } from '../../model/merge-patch.ts';
import { parseThingId, withDefaultNamespace } from '../../model/ids.ts';
import type { PolicyEnforcer } from '../../policy/index.ts';
import type { Bus } from '../../ports/bus.ts';
import type { Store, StoredEntity, WriteUnit } from '../../ports/store.ts';
import { eventToJson, type RetrieveThingsCommand, type ThingCommand, type ThingCommandResult, type ThingEvent } from '../../signals/index.ts';
import { CompactThing, policyIdIn } from './compact-thing.ts';
import { EntityCache } from '../common/entity-cache.ts';
import { KeyedQueue } from '../common/lru-cache.ts';
import type { PoliciesService } from '../policies/policies-service.ts';
import { decideDelete, decideMerge, decideModify, exists, type Decision } from './decide.ts';
import { notFound, notModifiable } from './resource-errors.ts';
import { checkCondition, checkEntityTags, entityTag } from './preconditions.ts';
import { planCreation, type CreationPlan } from './thing-creation.ts';
import { validateResourceValue } from './thing-validation.ts';
import { namespaceOf, readableThing, withSpecialFields } from './thing-view.ts';

/** The thing's policy ID, without parsing a cached thing. */
function policyIdOf(state: StoredEntity): string | undefined {
  return state instanceof CompactThing ? state.policyId : policyIdIn(state.data);
}

/**
 * The answer to a retrieve of the whole thing by a caller who may read all of it: the cached
 * text as it is, so the thing is neither parsed nor serialised again (`value` parses it for
 * transports that embed it in a message of their own). Undefined when the caller's view differs
 * from the stored thing, or the state keeps no text.
 */
function wholeThingText(state: StoredEntity, enforcer: PolicyEnforcer, subjects: readonly string[]): string | undefined {
  if (!(state instanceof CompactThing) || !enforcer.hasUnrestricted('thing', [], subjects, READ)) return undefined;
  return state.text;
}

/** A result whose `value` is parsed only when read (a getter: see ThingCommandResult). */
class WholeThingResult implements ThingCommandResult {
  readonly status = 200;
  readonly text: string;
  readonly headers: Readonly<Record<string, string>>;
  private readonly state: StoredEntity;

  constructor(state: StoredEntity, text: string, headers: Readonly<Record<string, string>>) {
    this.state = state;
    this.text = text;
    this.headers = headers;
  }

  get value(): JsonValue {
    return this.state.data;
  }
}

export interface Committer {
  submit(unit: WriteUnit): Promise<void>;
}

export interface ThingsServiceOptions {
  readonly maxThingBytes: number;
  readonly defaultNamespace: string;
  readonly cacheMaxThings: number;
  /** Modifications waiting for one thing before more are refused with 429. */
  readonly maxQueuedPerThing: number;
  readonly now: () => Date;
}

export interface ThingsServiceDeps {
  readonly store: Store;
  readonly committer: Committer;
  readonly bus: Bus;
  readonly policies: PoliciesService;
}

const READ = ['READ'] as const;
const WRITE = ['WRITE'] as const;

/**
 * Thing commands: enforcement, preconditions, decide, commit, publish. Modifications of one thing
 * run one after another; reads are served from the cache of committed states without queueing.
 */
export class ThingsService {
  private readonly states: EntityCache;
  private readonly queue = new KeyedQueue();
  private readonly deps: ThingsServiceDeps;
  private readonly options: ThingsServiceOptions;

  constructor(deps: ThingsServiceDeps, options: ThingsServiceOptions) {
    this.deps = deps;
    this.options = options;
    // Never fail open: a thing that cannot be loaded is unavailable, not absent.
    this.states = new EntityCache(deps.store, 'thing', {
      max: options.cacheMaxThings,
      unavailable: (thingId, cause) => new DittoError('things:thing.unavailable', { thingId }, { cause }),
      keep: (e) => new CompactThing(e),
    });
  }

  handle(cmd: ThingCommand): Promise<ThingCommandResult> {
    if (cmd.action === 'retrieve') return this.retrieve(cmd);
    const parsed = parseThingId(cmd.thingId);
    const c: ThingCommand = cmd.path.length === 0 ? { ...cmd, thingId: withDefaultNamespace(parsed, this.options.defaultNamespace).id } : cmd;
    if (this.queue.pending(c.thingId) >= this.options.maxQueuedPerThing) {
      return Promise.reject(new DittoError('things:thing.toomanymodifyingrequests', { thingId: c.thingId }));
    }
    return this.queue.run(c.thingId, () => this.modify(c));
  }

  /** A committed thing state, from the cache or the store; undefined when it never existed. */
  load(thingId: string): Promise<StoredEntity | undefined> {
    return this.states.load(thingId);
  }

  /** The cached committed state, without I/O; undefined when not cached (change notifications). */
  peek(thingId: string): StoredEntity | undefined {
    return this.states.cached(thingId) ?? undefined;
  }

  private async enforcerFor(state: StoredEntity): Promise<PolicyEnforcer | undefined> {
    const policyId = policyIdOf(state);
    if (policyId === undefined) return undefined;
    return (await this.deps.policies.handle(policyId, namespaceOf(state.id), state instanceof CompactThing))?.enforcer;
  }

  private async retrieve(cmd: ThingCommand): Promise<ThingCommandResult> {
    parseThingId(cmd.thingId);
    const state = await this.load(cmd.thingId);
    const enforcer = exists(state) ? await this.enforcerFor(state) : undefined;
    if (!exists(state) || enforcer === undefined) throw new DittoError('things:thing.notfound', { thingId: cmd.thingId });
    const subjects = cmd.auth.subjects;
    if (!enforcer.hasPartial('thing', cmd.path, subjects, READ)) throw notFound(cmd.thingId, cmd.resource);
    const whole = cmd.path.length === 0 && cmd.fields === undefined ? wholeThingText(state, enforcer, subjects) : undefined;
    // The whole thing's tag is its revision: its text is answered without parsing.
    const raw = whole === undefined ? getAt(state.data, cmd.path) : undefined;
    const tag = entityTag(cmd.path, state.revision, raw);
    checkEntityTags(cmd.headers, tag, true);
    checkCondition(cmd.headers, cmd.thingId, () => this.conditionView(state, enforcer, subjects), this.options.now);
    if (whole !== undefined) return new WholeThingResult(state, whole, this.tagHeaders(tag, state.revision));
    if (raw === undefined) throw this.missing(state, cmd);
    let value: JsonValue | undefined;
    if (cmd.path.length === 0) {
      value = await this.thingView(state, enforcer, cmd);
    } else {
      value = enforcer.filterReadable('thing', cmd.path, raw, subjects);
      if (value !== undefined && cmd.fields !== undefined && isJsonObject(value)) value = applyFieldSelector(value, parseFieldSelector(cmd.fields));
    }
    if (value === undefined) throw notFound(cmd.thingId, cmd.resource);
    return { status: 200, value, headers: this.tagHeaders(tag, state.revision) };
  }

  /**
   * [ditto: basic-conditional-requests live-channel-condition] Whether the condition holds on the
   * caller's view of the twin (unreadable fields do not exist for it); 404 for a thing the caller
   * cannot see, 400 `things:condition.invalid` for bad RQL.
   */
  async liveChannelCondition(cmd: ThingCommand): Promise<boolean> {
    parseThingId(cmd.thingId);
    const state = await this.load(cmd.thingId);
    const enforcer = exists(state) ? await this.enforcerFor(state) : undefined;
    if (!exists(state) || enforcer === undefined || !enforcer.hasPartial('thing', [], cmd.auth.subjects, READ)) {
      throw new DittoError('things:thing.notfound', { thingId: cmd.thingId });
    }
    const condition = cmd.headers['live-channel-condition'] ?? '';
    try {
      checkCondition({ condition }, cmd.thingId, () => this.conditionView(state, enforcer, cmd.auth.subjects), this.options.now);
      return true;
    } catch (e) {
      if (e instanceof DittoError && e.error === 'things:condition.failed') return false;
      throw e;
    }
  }

  /** RetrieveThings: readable things in the order asked; unknown and unreadable ones are left out. */
  async retrieveMany(cmd: RetrieveThingsCommand): Promise<JsonValue[]> {
    if (cmd.thingIds.length === 0) throw new DittoError('things:things.ids.missing');
    for (const id of cmd.thingIds) parseThingId(id);
    const states = await Promise.all(cmd.thingIds.map((id) => this.load(id)));
    const out: JsonValue[] = [];
    for (const state of states) {
      if (!exists(state)) continue;
      const enforcer = await this.enforcerFor(state);
      if (enforcer === undefined) continue;
      const single = { kind: 'thing.command', action: 'retrieve', thingId: state.id, path: [], resource: { kind: 'thing' }, channel: 'twin', headers: cmd.headers, auth: cmd.auth, ...(cmd.fields === undefined ? {} : { fields: cmd.fields }) } as const;
      const view = await this.thingView(state, enforcer, single);
      if (view !== undefined) out.push(view);
    }
    return out;
  }

  /** The whole thing as the caller may see it, with `fields` applied (special fields only when selected). */
  private async thingView(state: StoredEntity, enforcer: PolicyEnforcer, cmd: ThingCommand): Promise<JsonObject | undefined> {
    const view = readableThing(state, enforcer, cmd.auth.subjects);
    if (view === undefined || cmd.fields === undefined) return view;
    const selector = parseFieldSelector(cmd.fields);
    let full = withSpecialFields(view, state);
    // The policy is loaded only when the selector asks for it at the top level.
    if (fieldSelectorPointers(selector).some((p) => p[0] === '_policy')) {
      const policy = await this.policyView(state, cmd);
      if (policy !== undefined) full = { ...full, _policy: policy };
    }
    return applyFieldSelector(full, selector);
  }

  private async policyView(state: StoredEntity, cmd: ThingCommand): Promise<JsonValue | undefined> {
    const policyId = policyIdOf(state);
    if (policyId === undefined) return undefined;
    const handle = await this.deps.policies.handle(policyId, namespaceOf(policyId));
    if (handle === undefined) return undefined;
    return handle.enforcer.filterReadable('policy', [], handle.entity.data, cmd.auth.subjects);
  }

  private conditionView(state: StoredEntity, enforcer: PolicyEnforcer, subjects: readonly string[]): JsonObject {
    const view = readableThing(state, enforcer, subjects) ?? { thingId: state.id };
    return withSpecialFields(view, state);
  }

  private missing(state: StoredEntity, cmd: ThingCommand): DittoError {
    const r = cmd.resource;
    if ('featureId' in r && r.kind !== 'feature' && getAt(state.data, ['features', r.featureId]) === undefined) {
      return new DittoError('things:feature.notfound', { thingId: cmd.thingId, featureId: r.featureId });
    }
    return notFound(cmd.thingId, r);
  }

  private tagHeaders(tag: string | undefined, revision: number): Record<string, string> {
    const h: Record<string, string> = { 'entity-revision': String(revision) };
    if (tag !== undefined) h['etag'] = tag;
    return h;
  }

  private async modify(cmd: ThingCommand): Promise<ThingCommandResult> {
    const state = await this.load(cmd.thingId);
    const atRoot = cmd.path.length === 0;
    if (atRoot && cmd.action !== 'delete' && !exists(state)) return this.create(cmd, state);
    if (cmd.action === 'create') throw new DittoError('things:thing.conflict', { thingId: cmd.thingId });
    if (!exists(state)) throw new DittoError('things:thing.notfound', { thingId: cmd.thingId });
    const enforcer = await this.enforcerFor(state);
    const subjects = cmd.auth.subjects;
    if (enforcer === undefined) throw notModifiable(cmd.thingId, cmd.resource, cmd.action === 'delete');
    this.enforceWrite(cmd, enforcer, subjects);
    const current = getAt(state.data, cmd.path);
    checkEntityTags(cmd.headers, entityTag(cmd.path, state.revision, current), false);
    checkCondition(cmd.headers, cmd.thingId, () => this.conditionView(state, enforcer, subjects), this.options.now);
    const ctx = { now: this.options.now().toISOString(), maxThingBytes: this.options.maxThingBytes };
    let decision: Decision;
    if (cmd.action === 'delete') {
      decision = decideDelete(state, cmd, ctx);
    } else if (cmd.action === 'merge') {
      decision = decideMerge(state, cmd, ctx);
      this.skipIfEqual(cmd, state.data, decision.next.data);
    } else {
      const value = await this.validatedValue(cmd, state);
      this.skipIfEqual(cmd, current, atRoot ? undefined : value);
      decision = decideModify(state, cmd, value, ctx);
    }
    await this.commit([{ entity: decision.next, event: eventToJson(decision.event), expectedRevision: state.revision, previous: state }]);
    this.published(decision.next, decision.event, cmd, state);
    const next = decision.next;
    const tag = entityTag(cmd.path, next.revision, getAt(next.data, cmd.path));
    const value = decision.value === undefined ? undefined : enforcer.filterReadable('thing', cmd.path, decision.value, subjects);
    return { status: decision.status, headers: this.tagHeaders(tag, next.revision), ...(value === undefined ? {} : { value }) };
  }

  /**
   * [ditto: authorization outcome rules] writes need unrestricted WRITE on every path they touch;
   * a caller who may not read the thing at all learns nothing (404), others get 403.
   */
  private enforceWrite(cmd: ThingCommand, enforcer: PolicyEnforcer, subjects: readonly string[]): void {
    let paths: Pointer[] = [cmd.path];
    if (cmd.action === 'merge' && cmd.value !== undefined) {
      paths = mergePatchTouchedPaths(cmd.value).map((p) => [...cmd.path, ...p]);
      if (paths.length === 0) paths = [cmd.path];
    }
    if (paths.every((p) => enforcer.hasUnrestricted('thing', p, subjects, WRITE))) return;
    if (!enforcer.hasPartial('thing', [], subjects, READ)) throw new DittoError('things:thing.notfound', { thingId: cmd.thingId });
    throw notModifiable(cmd.thingId, cmd.resource, cmd.action === 'delete');
  }

  private async validatedValue(cmd: ThingCommand, state: StoredEntity): Promise<JsonValue> {
    if (cmd.value === undefined) throw new DittoError('json.invalid', { reason: 'the request has no body' });
    if (cmd.path.length === 0 && isJsonObject(cmd.value)) {
      if (cmd.value['_policy'] !== undefined || cmd.value['_copyPolicyFrom'] !== undefined) {
        throw new DittoError('things:policy.notallowed', { thingId: cmd.thingId });
      }
    }
    let value = validateResourceValue(cmd.resource, cmd.value, cmd.thingId);
    if (cmd.path.length === 0 && isJsonObject(value) && value['policyId'] === undefined) {
      value = { ...value, policyId: state.data['policyId'] ?? cmd.thingId };
    }
    const newPolicyId = cmd.resource.kind === 'policyId' ? value : isJsonObject(value) ? value['policyId'] : undefined;
    if (typeof newPolicyId === 'string' && newPolicyId !== state.data['policyId']) {
      // The thing may only move to a policy that exists and lets the caller write it.
      const handle = await this.deps.policies.handle(newPolicyId, namespaceOf(cmd.thingId));
      if (handle === undefined) throw new DittoError('policies:policy.notfound', { policyId: newPolicyId });
      if (!handle.enforcer.hasUnrestricted('thing', [], cmd.auth.subjects, WRITE)) throw notModifiable(cmd.thingId, cmd.resource);
    }
    return value;
  }

  /**
   * [ditto: if-equal] `skip` (and `skip-minimizing-merge`, which Doppel treats the same) leaves an
   * unchanged value alone and says so with 412; `update`, the default, always writes.
   */
  private skipIfEqual(cmd: ThingCommand, current: JsonValue | undefined, next: JsonValue | undefined): void {
    const mode = cmd.headers['if-equal'];
    if (mode === undefined || mode === 'update' || next === undefined) return;
    if (jsonEquals(current, next)) {
      throw new DittoError('things:precondition.failed', { header: 'if-equal', value: 'skip', etag: 'unchanged' });
    }
  }

  private async create(cmd: ThingCommand, previous: StoredEntity | undefined): Promise<ThingCommandResult> {
    let body = cmd.value;
    if (cmd.action === 'merge') {
      if (!isJsonObject(body) || Object.keys(body).length === 0) {
        throw new DittoError('things:merge.invalid', { reason: 'A merge of a whole thing needs a non-empty JSON object.' });
      }
      body = removeNullsForCreate(body);
    }
    if (!isJsonObject(body)) throw new DittoError('json.format.invalid', { reason: 'a thing must be a JSON object' });
    const timestamp = this.options.now().toISOString();
    const plan: CreationPlan = await planCreation(cmd, body, {
      policies: this.deps.policies,
      timestamp,
      policyIdOfThing: (id, c) => this.readablePolicyId(id, c),
    });
    const decision = decideModify(previous, { ...cmd, action: 'modify' }, plan.thing, { now: timestamp, maxThingBytes: this.options.maxThingBytes });
    const unit = [
      ...(plan.policyWrite === undefined ? [] : [plan.policyWrite]),
      { entity: decision.next, event: eventToJson(decision.event), expectedRevision: previous?.revision ?? 0, previous },
    ];
    await this.commit(unit);
    if (plan.policyWrite !== undefined) this.deps.policies.committed(plan.policyWrite.entity);
    this.published(decision.next, decision.event, cmd);
    const view = readableThing(decision.next, plan.enforcer, cmd.auth.subjects) ?? { thingId: cmd.thingId };
    return { status: 201, value: view, headers: this.tagHeaders(`"rev:${decision.next.revision}"`, decision.next.revision), createdId: cmd.thingId };
  }

  private async readablePolicyId(thingId: string, cmd: ThingCommand): Promise<string> {
    const result = await this.retrieve({ ...cmd, action: 'retrieve', thingId, path: ['policyId'], resource: { kind: 'policyId' }, headers: {} });
    if (typeof result.value !== 'string') throw new DittoError('things:policyId.notfound', { thingId });
    return result.value;
  }

  private async commit(unit: WriteUnit): Promise<void> {
    try {
      await this.deps.committer.submit(unit);
    } catch (e) {
      const first = unit[unit.length - 1];
      if (e instanceof DittoError) throw e;
      throw new DittoError('things:thing.unavailable', { thingId: first?.entity.id ?? '' }, { cause: e });
    }
  }

  private published(next: StoredEntity, event: ThingEvent, cmd: ThingCommand, previous?: StoredEntity): void {
    this.states.committed(next);
    const correlationId = cmd.headers['correlation-id'];
    const origin = cmd.headers['ditto-origin'];
    const payload: JsonObject = eventToJson(event);
    if (correlationId !== undefined || origin !== undefined) {
      // `ditto-origin` names the WebSocket session that sent the command; it does not get the event back.
      payload['headers'] = { ...(correlationId === undefined ? {} : { 'correlation-id': correlationId }), ...(origin === undefined ? {} : { 'ditto-origin': origin }), ...ackRequest(cmd) };
    }
    // The policy that decides who may see the event; a deleted thing's tombstone no longer names it.
    const policyId = next.data['policyId'] ?? previous?.data['policyId'];
    if (typeof policyId === 'string') payload['policyId'] = policyId;
    // The subject mirrors the topic; the namespace goes last because its dots are subject separators:
    // things.twin.events.<action>.<namespace tokens>, `_` for the empty namespace.
    this.deps.bus.publish({ subject: `things.twin.events.${event.action}.${namespaceOf(next.id) || '_'}`, payload });
  }
}

/**
 * [ditto: basic-acknowledgements] The custom labels a command requests travel on its event,
 * with the address their acknowledgements go to (set by the live service when it waits for them).
 */
function ackRequest(cmd: ThingCommand): Record<string, string> {
  const replyTo = cmd.headers['ditto-ackgregator-address'];
  const requested = cmd.headers['requested-acks'];
  return replyTo === undefined || requested === undefined ? {} : { 'requested-acks': requested, 'ditto-ackgregator-address': replyTo };
}
