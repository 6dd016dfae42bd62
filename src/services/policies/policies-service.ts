import type { JsonObject } from '../../model/json.ts';
import type { EntityWrite, Store, StoredEntity } from '../../ports/store.ts';
import { compilePolicy, validatePolicyJson, type Policy, type PolicyEnforcer } from '../../policy/index.ts';
import { LruCache } from '../common/lru-cache.ts';

export interface PoliciesServiceOptions {
  readonly cacheMaxPolicies: number;
  readonly now: () => Date;
}

/** A live policy and its enforcer, compiled once per revision and namespace. */
export interface PolicyHandle {
  readonly entity: StoredEntity;
  readonly policy: Policy;
  readonly enforcer: PolicyEnforcer;
}

/**
 * Loads policies and keeps their compiled enforcers. The Policies API (commands on policies)
 * builds on this; for now things create policies through `creationWrite`.
 */
export class PoliciesService {
  private readonly entities: LruCache<string, StoredEntity | null>;
  private readonly compiled: LruCache<string, PolicyHandle>;
  private readonly loading = new Map<string, Promise<StoredEntity | undefined>>();
  private readonly store: Store;
  private readonly options: PoliciesServiceOptions;

  constructor(store: Store, options: PoliciesServiceOptions) {
    this.store = store;
    this.options = options;
    this.entities = new LruCache(options.cacheMaxPolicies);
    this.compiled = new LruCache(options.cacheMaxPolicies);
  }

  /** The current policy entity, or undefined when it does not exist (or was deleted). */
  async get(policyId: string): Promise<StoredEntity | undefined> {
    const e = await this.load(policyId);
    return e === undefined || e.deleted ? undefined : e;
  }

  /** Like `get`, but a deleted policy's tombstone is returned too (its revision goes on). */
  async load(policyId: string): Promise<StoredEntity | undefined> {
    const cached = this.entities.get(policyId);
    if (cached !== undefined) return cached ?? undefined;
    let pending = this.loading.get(policyId);
    if (pending === undefined) {
      pending = this.store.load('policy', policyId).finally(() => this.loading.delete(policyId));
      this.loading.set(policyId, pending);
    }
    const loaded = await pending;
    this.remember(policyId, loaded ?? null);
    return loaded;
  }

  /** The compiled policy for a thing in `namespace`; undefined when the policy does not exist. */
  async handle(policyId: string, namespace: string): Promise<PolicyHandle | undefined> {
    const entity = await this.get(policyId);
    if (entity === undefined) return undefined;
    return this.compile(entity, namespace);
  }

  compile(entity: StoredEntity, namespace: string): PolicyHandle {
    const key = `${entity.id}\u0000${namespace}`;
    const hit = this.compiled.get(key);
    if (hit !== undefined && hit.entity.revision === entity.revision) return hit;
    const policy = validatePolicyJson(entity.data, entity.id);
    const handle: PolicyHandle = { entity, policy, enforcer: compilePolicy(policy, { namespace, now: this.options.now }) };
    this.compiled.set(key, handle);
    return handle;
  }

  /** The write that creates `policy` (validated JSON with its policyId), after `previous` if it was deleted. */
  creationWrite(policy: JsonObject, policyId: string, timestamp: string, previous: StoredEntity | undefined): EntityWrite {
    const revision = (previous?.revision ?? 0) + 1;
    const entity: StoredEntity = { type: 'policy', id: policyId, revision, created: timestamp, modified: timestamp, deleted: false, data: policy };
    const event: JsonObject = { type: 'policies.events:policyCreated', action: 'created', policyId, path: '/', value: policy, revision, timestamp };
    return { entity, event, expectedRevision: previous?.revision ?? 0 };
  }

  /** Called after a commit so the next request sees the new state. */
  committed(entity: StoredEntity): void {
    this.remember(entity.id, entity);
  }

  private remember(policyId: string, entity: StoredEntity | null): void {
    const current = this.entities.get(policyId);
    // A load that raced with a write must not put an older revision back.
    if (current !== undefined && current !== null && entity !== null && current.revision > entity.revision) return;
    if (current !== undefined && current !== null && entity === null) return;
    this.entities.set(policyId, entity);
  }
}
