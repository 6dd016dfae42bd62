import { DittoError } from '../../model/errors/index.ts';
import {
  compilePolicy, NO_NAMESPACE_ROOTS, resolvePolicy, rootPoliciesFor, type NamespaceRoots, validatePolicyJson, type ImportResolution, type Policy, type PolicyEnforcer,
} from '../../policy/index.ts';
import type { JsonObject } from '../../model/json.ts';
import { endsMember, flattened } from '../../model/json-text.ts';
import type { Store, StoredEntity } from '../../ports/store.ts';
import { EntityCache } from '../common/entity-cache.ts';
import { LruCache } from '../common/lru-cache.ts';
import { namespaceOfId } from './policy-retrieve.ts';

/** A live policy and its enforcer, compiled for one namespace with its imports resolved. */
export interface PolicyHandle {
  readonly entity: StoredEntity;
  /** The policy as stored. */
  readonly policy: Policy;
  /** The policy as evaluated: imported entries merged in, references resolved. */
  readonly resolved: Policy;
  readonly enforcer: PolicyEnforcer;
}

/**
 * Handles are cached for every policy in use, often one per thing, so they keep only the stored
 * entity and a (shared) enforcer; the validated policy is rebuilt on the rare paths that read it.
 * Only a policy whose evaluated form differs from the stored one (imports, references) keeps it.
 * A handle is also the cache entry of its compilation: which other policies it read and until
 * when its subjects are valid.
 */
class CachedHandle implements PolicyHandle {
  readonly entity: StoredEntity;
  readonly enforcer: PolicyEnforcer;
  readonly namespace: string;
  /** Every other policy the resolution read, with the revision it had (0: absent). */
  readonly dependencies: readonly (readonly [string, number])[];
  /** Epoch ms from which a subject has expired and the enforcer must be rebuilt. */
  readonly staleAt: number;
  private readonly evaluated: Policy | undefined;

  constructor(entity: StoredEntity, enforcer: PolicyEnforcer, namespace: string, evaluated: Policy | undefined, dependencies: readonly (readonly [string, number])[]) {
    this.entity = entity;
    this.enforcer = enforcer;
    this.namespace = namespace;
    this.evaluated = evaluated;
    this.dependencies = dependencies;
    this.staleAt = enforcer.nextSubjectExpiry?.getTime() ?? Number.POSITIVE_INFINITY;
  }

  get policy(): Policy {
    return validatePolicyJson(this.entity.data, this.entity.id);
  }

  get resolved(): Policy {
    return this.evaluated ?? this.policy;
  }

  /** Whether the evaluated policy is the stored one (no imports, no references). */
  get resolvedIsStored(): boolean {
    return this.evaluated === undefined;
  }
}

const NO_DEPENDENCIES: readonly (readonly [string, number])[] = Object.freeze([]);

/**
 * The handle of a policy whose compilation is just its pooled enforcer, made when asked for: a
 * cached entity then holds the enforcer alone (CompactEntity.compiled), not a CachedHandle of its
 * own (72 bytes, 7 MiB for the default policies of 100,000 things).
 */
class PlainHandle implements PolicyHandle {
  readonly entity: StoredEntity;
  readonly enforcer: PolicyEnforcer;

  constructor(entity: StoredEntity, enforcer: PolicyEnforcer) {
    this.entity = entity;
    this.enforcer = enforcer;
  }

  get policy(): Policy {
    return validatePolicyJson(this.entity.data, this.entity.id);
  }

  get resolved(): Policy {
    return this.policy;
  }
}

/**
 * Whether a compilation needs nothing but its enforcer: it evaluates the policy as stored, read
 * no other policy, has no subject that expires, and is for the enforcer's own namespace. Such a
 * compilation of a cached state stays valid as long as that state is the cached one.
 */
function plain(handle: CachedHandle): boolean {
  return handle.resolvedIsStored && handle.dependencies.length === 0 && handle.staleAt === Number.POSITIVE_INFINITY && handle.namespace === handle.enforcer.namespace;
}

interface Loaded {
  readonly policy: Policy | null;
  readonly revision: number;
}

/**
 * Texts of cached policies without their IDs, one instance per distinct text: the default policies
 * of one user's things differ only in their IDs, so they share one text. Bounded; a text that
 * falls out is still held by the entities using it, just no longer shared with new ones.
 */
class PolicyTexts {
  private readonly texts = new LruCache<string, string>(10_000);

  intern(text: string): string {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    this.texts.set(text, text);
    return text;
  }
}

/**
 * A cached policy state that keeps its JSON as text: a policy's objects cost about five times its
 * text, and requests only need the compiled enforcer; `data` is parsed on the rare paths that read
 * it (policy retrieves, `fields=_policy`, compiling). A leading `policyId` equal to the entity's
 * ID is left out of the text and put back when parsing, so that policies alike but for their IDs
 * share one text. The entity also holds its compilation for the namespace it was first used in.
 */
class CompactEntity implements StoredEntity {
  readonly id: string;
  readonly revision: number;
  readonly created: string;
  readonly modified: string;
  readonly deleted: boolean;
  /**
   * The compiled policy, for `compiled.namespace`; replaced when stale. A bare enforcer stands for
   * a compilation that needs nothing else (`plain`), which stays valid with this state.
   */
  compiled: CachedHandle | PolicyEnforcer | undefined;
  private readonly json: string;
  private readonly withoutId: boolean;

  constructor(e: StoredEntity, texts: PolicyTexts, id: string) {
    this.id = id;
    this.revision = e.revision;
    this.created = e.created;
    this.modified = e.modified;
    this.deleted = e.deleted;
    this.compiled = undefined;
    // A state loaded from the store comes with its text, which gives the same text without parsing.
    const rest = e.dataText === undefined ? undefined : withoutLeadingId(e.dataText, e.id);
    if (rest !== undefined) {
      this.withoutId = true;
      this.json = texts.intern(rest);
    } else {
      const { policyId, ...others } = e.data;
      this.withoutId = policyId === e.id && Object.keys(e.data)[0] === 'policyId';
      this.json = this.withoutId ? texts.intern(JSON.stringify(others)) : (e.dataText ?? JSON.stringify(e.data));
    }
  }

  /** On the prototype: a field would cost every cached policy 8 bytes. */
  get type(): 'policy' {
    return 'policy';
  }

  get data(): JsonObject {
    const parsed = JSON.parse(this.json) as JsonObject;
    return this.withoutId ? { policyId: this.id, ...parsed } : parsed;
  }
}

/**
 * `JSON.stringify` of a policy without its `policyId`, from `JSON.stringify` of the policy: when
 * the text begins with a `policyId` equal to `id`, the text without that member; else undefined.
 */
export function withoutLeadingId(text: string, id: string): string | undefined {
  const lead = `{"policyId":${JSON.stringify(id)}`;
  if (!text.startsWith(lead) || !endsMember(text, lead.length)) return undefined;
  // Joined into a string of its own, so that it does not keep the whole text alive as a slice.
  return text.length === lead.length + 1 ? '{}' : flattened(`{${text.slice(lead.length + 1)}`);
}

// Import chains are at most MAX_TRANSITIVE_DEPTH deep; each round loads one more level.
const MAX_LOAD_ROUNDS = 16;

export interface PolicyEnforcersOptions {
  readonly cacheMaxPolicies: number;
  readonly now: () => Date;
  /** Called with every policy state that is loaded or committed (expiry scheduling). */
  readonly observe?: (entity: StoredEntity) => void;
  /** Operator-configured namespace root policies merged into every policy of their namespaces. */
  readonly namespaceRoots?: NamespaceRoots;
}

/**
 * Policy states and their compiled enforcers. A compiled enforcer stays valid as long as the
 * revision of its policy, the revisions of every policy it imports (directly or transitively) and
 * the clock (subject expiry) say so; checking that is a few map lookups, so a change of an
 * imported policy is seen by the very next request. Loading never fails open: a store error is a
 * 503, never a policy that seems absent.
 */
export class PolicyEnforcers {
  private readonly entities: EntityCache;
  /** Compilations for a namespace other than the one a cached entity holds (policies used across namespaces). */
  private readonly compiled: LruCache<string, CachedHandle>;
  /**
   * Enforcers by what they evaluate (entries and namespace), shared by every policy with that
   * content: the default policies of a user's things differ only in their IDs, and one compiled
   * enforcer (about 4 kB, with its caches) then serves all of them.
   */
  private readonly pool: LruCache<string, PolicyEnforcer>;
  private readonly options: PolicyEnforcersOptions;

  constructor(store: Store, options: PolicyEnforcersOptions) {
    this.options = options;
    const texts = new PolicyTexts();
    this.entities = new EntityCache(store, 'policy', {
      max: options.cacheMaxPolicies,
      unavailable: (policyId, cause) => new DittoError('policies:policy.unavailable', { policyId }, { cause }),
      keep: (e, id) => new CompactEntity(e, texts, id),
      ...(options.observe === undefined ? {} : { observe: options.observe }),
    });
    this.compiled = new LruCache(Math.min(options.cacheMaxPolicies, 10_000));
    this.pool = new LruCache(options.cacheMaxPolicies);
  }

  /**
   * The current policy entity, or undefined when it does not exist (or was deleted). `lasting`:
   * the `policyId` string is held for long anyway (EntityCache.load).
   */
  async get(policyId: string, lasting = false): Promise<StoredEntity | undefined> {
    const e = await this.load(policyId, lasting);
    return e === undefined || e.deleted ? undefined : e;
  }

  /** Like `get`, but a deleted policy's tombstone is returned too (its revision goes on). */
  load(policyId: string, lasting = false): Promise<StoredEntity | undefined> {
    return this.entities.load(policyId, lasting);
  }

  /** Called after a commit so the next request sees the new state. */
  committed(entity: StoredEntity): void {
    this.entities.committed(entity);
  }

  /** Whether a state of the policy (or its absence) is cached, without I/O. */
  isCached(policyId: string): boolean {
    return this.entities.cached(policyId) !== undefined;
  }

  /**
   * The compiled policy for an entity in `namespace`; undefined when the policy does not exist.
   * `lasting` as for `get`.
   */
  async handle(policyId: string, namespace: string, lasting = false): Promise<PolicyHandle | undefined> {
    const entity = await this.get(policyId, lasting);
    if (entity === undefined) return undefined;
    const own = entity instanceof CompactEntity ? entity : undefined;
    const ownCompiled = own?.compiled;
    const inOwnSlot = own !== undefined && (ownCompiled === undefined || ownCompiled.namespace === namespace);
    if (inOwnSlot && ownCompiled !== undefined && !(ownCompiled instanceof CachedHandle)) return new PlainHandle(entity, ownCompiled);
    const key = inOwnSlot ? '' : `${policyId}\u0000${namespace}`;
    const hit = inOwnSlot ? (ownCompiled as CachedHandle | undefined) : this.compiled.get(key);
    if (hit !== undefined && this.fresh(hit, entity)) return hit;
    const compiled = await this.build(entity, namespace);
    if (this.entities.cached(policyId) === entity) {
      if (inOwnSlot) own.compiled = plain(compiled) ? compiled.enforcer : compiled;
      else this.compiled.set(key, compiled);
    }
    return compiled;
  }

  /** Compiles a state that is not (yet) the committed one, e.g. a policy about to be created. */
  compile(entity: StoredEntity, namespace: string): Promise<PolicyHandle> {
    return this.build(entity, namespace);
  }

  private fresh(hit: CachedHandle, entity: StoredEntity): boolean {
    if (hit.entity.revision !== entity.revision) return false;
    // Reading the clock only matters for policies with expiring subjects.
    if (hit.staleAt !== Number.POSITIVE_INFINITY && this.options.now().getTime() >= hit.staleAt) return false;
    const deps = hit.dependencies;
    for (let i = 0; i < deps.length; i++) {
      const [id, revision] = deps[i] as readonly [string, number];
      const current = this.entities.cached(id);
      if (current === undefined || (current?.revision ?? 0) !== revision) return false;
    }
    return true;
  }

  private async build(entity: StoredEntity, namespace: string): Promise<CachedHandle> {
    const policy = validatePolicyJson(entity.data, entity.id);
    const loaded = new Map<string, Loaded>();
    const roots = rootPoliciesFor(this.options.namespaceRoots ?? NO_NAMESPACE_ROOTS, namespaceOfId(entity.id), entity.id);
    const resolution = await this.resolve(policy, loaded, roots);
    const enforcer = this.enforcerFor(resolution.policy, namespace);
    const dependencies = resolution.dependencies.size === 0 ? NO_DEPENDENCIES : [...resolution.dependencies].map((id) => [id, loaded.get(id)?.revision ?? 0] as const);
    // The pooled enforcer's copy of the namespace, not the caller's: handles are cached per policy.
    const sharedNamespace = enforcer.namespace === namespace ? enforcer.namespace : namespace;
    return new CachedHandle(entity, enforcer, sharedNamespace, resolution.policy === policy ? undefined : resolution.policy, dependencies);
  }

  private enforcerFor(resolved: Policy, namespace: string): PolicyEnforcer {
    // The policy ID does not change a decision; entries (with expiries) and namespace do.
    const key = `${namespace}\u0000${JSON.stringify(resolved.entries)}`;
    const pooled = this.pool.get(key);
    const expiry = pooled?.nextSubjectExpiry?.getTime();
    if (pooled !== undefined && (expiry === undefined || this.options.now().getTime() < expiry)) return pooled;
    const enforcer = compilePolicy(resolved, { namespace, now: this.options.now });
    this.pool.set(key, enforcer);
    return enforcer;
  }

  /** Resolves imports, loading what the resolution asks for until nothing is missing. */
  async resolve(policy: Policy, loaded: Map<string, Loaded> = new Map(), roots: readonly string[] = []): Promise<ImportResolution> {
    const lookup = (id: string): Policy | null | undefined => loaded.get(id)?.policy;
    let resolution = resolvePolicy(policy, lookup, roots);
    for (let round = 0; resolution.missing.size > 0 && round < MAX_LOAD_ROUNDS; round++) {
      await Promise.all([...resolution.missing].map(async (id) => {
        const e = await this.load(id);
        loaded.set(id, { policy: e === undefined || e.deleted ? null : validatePolicyJson(e.data, id), revision: e?.revision ?? 0 });
      }));
      resolution = resolvePolicy(policy, lookup, roots);
    }
    return resolution;
  }


}
