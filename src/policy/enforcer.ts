// The policy enforcer: a policy compiled once, then asked many times per second whether a set of
// authorization subjects may do something at a resource path, and what of a JSON value they may read.

import type { JsonValue } from '../model/json.ts';
import type { Pointer } from '../model/json-pointer.ts';
import { filterView } from './json-view.ts';
import {
  applyNode, buildTree, buildView, emptyView, permissionMask, REVOKE_SHIFT,
  type CompiledTree, type PermissionView, type TrieNode,
} from './tree.ts';
import type { Permission, Policy, ResourceType } from './types.ts';

export interface PolicyEnforcer {
  readonly policyId: string;
  /** The namespace the entries were selected for. */
  readonly namespace: string;
  /** The earliest subject expiry still ahead; from then on the policy must be compiled again. */
  readonly nextSubjectExpiry: Date | undefined;
  /**
   * [ditto: basic-policy] Every permission is granted at `path` and revoked nowhere at or below it:
   * what modify and delete commands need.
   */
  hasUnrestricted(type: ResourceType, path: Pointer, subjects: readonly string[], permissions: readonly Permission[]): boolean;
  /**
   * Every permission is granted at `path` or somewhere below it (a deeper grant counts even where
   * `path` itself is revoked): what retrieves need; with READ, "may the caller read anything here".
   */
  hasPartial(type: ResourceType, path: Pointer, subjects: readonly string[], permissions: readonly Permission[]): boolean;
  /** `value`, found at `basePath`, reduced to what `subjects` may READ; `value` itself when all of it is. */
  filterReadable(type: ResourceType, basePath: Pointer, value: JsonValue, subjects: readonly string[]): JsonValue | undefined;
  /** The policy subjects that, each on its own, hold `permissions` unrestricted at `path`. */
  subjectsWithUnrestricted(type: ResourceType, path: Pointer, permissions: readonly Permission[]): ReadonlySet<string>;
  /** The policy subjects that, each on its own, hold `permissions` partially at `path` (event fan-out). */
  subjectsWithPartial(type: ResourceType, path: Pointer, permissions: readonly Permission[]): ReadonlySet<string>;
}

export interface CompileOptions {
  /** Namespace of the entity the policy guards; defaults to the policy's own namespace. */
  readonly namespace?: string;
  /**
   * The clock for subject expiry. Without one, subjects that carry an expiry are left out: the
   * pure layer never reads the time itself, and an unknown time must not keep a subject alive.
   */
  readonly now?: () => Date;
}

export function compilePolicy(policy: Policy, options: CompileOptions = {}): PolicyEnforcer {
  const colon = policy.policyId.indexOf(':');
  const namespace = options.namespace ?? (colon < 0 ? '' : policy.policyId.slice(0, colon));
  const nowMs = options.now?.().getTime();
  return new CompiledEnforcer(policy.policyId, namespace, buildTree(policy, namespace, nowMs));
}

// Bounds for the per-enforcer caches; an enforcer lives as long as its policy revision.
const MAX_VIEWS = 256;
const MAX_SUBJECT_SETS = 256;

/** Where a path leads in a view: the effective permissions there and what lies below. */
interface Located {
  effective: number;
  below: number;
}

class CompiledEnforcer implements PolicyEnforcer {
  readonly nextSubjectExpiry: Date | undefined;
  private readonly empty: PermissionView;
  private readonly singleViews: (PermissionView | undefined)[] = [];
  private readonly setViews = new Map<string, PermissionView>();
  // Frozen subject arrays (one per authenticated caller, reused across requests) skip the lookup.
  private readonly frozenViews = new WeakMap<readonly string[], PermissionView>();
  private readonly subjectSets = new Map<string, ReadonlySet<string>>();
  // Reused by locate(); safe because nothing in between can call back into this enforcer.
  private readonly scratch: Located = { effective: 0, below: 0 };

  constructor(readonly policyId: string, readonly namespace: string, private readonly tree: CompiledTree) {
    this.nextSubjectExpiry = tree.nextExpiry === undefined ? undefined : new Date(tree.nextExpiry);
    this.empty = emptyView(tree);
  }

  hasUnrestricted(type: ResourceType, path: Pointer, subjects: readonly string[], permissions: readonly Permission[]): boolean {
    return this.unrestrictedIn(this.viewFor(subjects), type, path, permissionMask(permissions));
  }

  hasPartial(type: ResourceType, path: Pointer, subjects: readonly string[], permissions: readonly Permission[]): boolean {
    return this.partialIn(this.viewFor(subjects), type, path, permissionMask(permissions));
  }

  filterReadable(type: ResourceType, basePath: Pointer, value: JsonValue, subjects: readonly string[]): JsonValue | undefined {
    return filterView(this.tree, this.viewFor(subjects), type, basePath, value);
  }

  subjectsWithUnrestricted(type: ResourceType, path: Pointer, permissions: readonly Permission[]): ReadonlySet<string> {
    const mask = permissionMask(permissions);
    return this.collectSubjects(`u\u0000${type}\u0000${mask}\u0000${path.join('/')}`,
      (view) => this.unrestrictedIn(view, type, path, mask));
  }

  subjectsWithPartial(type: ResourceType, path: Pointer, permissions: readonly Permission[]): ReadonlySet<string> {
    const mask = permissionMask(permissions);
    return this.collectSubjects(`p\u0000${type}\u0000${mask}\u0000${path.join('/')}`,
      (view) => this.partialIn(view, type, path, mask));
  }

  // [ditto: basic-policy] Unrestricted: the deepest grant or revoke at or above the path grants,
  // and no revoke lies below it.
  private unrestrictedIn(view: PermissionView, type: ResourceType, path: Pointer, mask: number): boolean {
    if (mask === 0) return false;
    const at = this.locate(view, type, path);
    return (at.effective & mask) === mask && ((at.below >> REVOKE_SHIFT) & mask) === 0;
  }

  // Partial: granted at or above the path and not revoked deeper, or granted anywhere below it;
  // Ditto weighs a grant below the path above any revoke at or above it.
  private partialIn(view: PermissionView, type: ResourceType, path: Pointer, mask: number): boolean {
    if (mask === 0) return false;
    const at = this.locate(view, type, path);
    return ((at.effective | at.below) & mask) === mask;
  }

  private locate(view: PermissionView, type: ResourceType, path: Pointer): Located {
    const own = view.own;
    let node: TrieNode = this.tree.roots[type];
    let effective = applyNode(0, own[node.id] as number);
    let below = view.below[node.id] as number;
    for (const segment of path) {
      const child = node.children?.get(segment);
      if (child === undefined) {
        below = 0;
        break;
      }
      node = child;
      effective = applyNode(effective, own[node.id] as number);
      below = view.below[node.id] as number;
    }
    const out = this.scratch;
    out.effective = effective;
    out.below = below;
    return out;
  }

  private viewFor(subjects: readonly string[]): PermissionView {
    const frozen = Object.isFrozen(subjects);
    if (frozen) {
      const hit = this.frozenViews.get(subjects);
      if (hit !== undefined) return hit;
    }
    const view = subjects.length === 1 ? this.singleView(subjects[0] as string) : this.setView(subjects);
    if (frozen) this.frozenViews.set(subjects, view);
    return view;
  }

  private singleView(subject: string): PermissionView {
    const index = this.tree.subjectIndex.get(subject);
    if (index === undefined) return this.empty;
    let view = this.singleViews[index];
    if (view === undefined) {
      view = buildView(this.tree, [index]);
      this.singleViews[index] = view;
    }
    return view;
  }

  private setView(subjects: readonly string[]): PermissionView {
    const indices: number[] = [];
    for (const s of subjects) {
      const index = this.tree.subjectIndex.get(s);
      if (index !== undefined && !indices.includes(index)) indices.push(index);
    }
    if (indices.length === 0) return this.empty;
    if (indices.length === 1) return this.singleView(this.tree.subjectIds[indices[0] as number] as string);
    indices.sort((a, b) => a - b);
    const key = indices.join(',');
    let view = this.setViews.get(key);
    if (view === undefined) {
      view = buildView(this.tree, indices);
      remember(this.setViews, key, view, MAX_VIEWS);
    }
    return view;
  }

  private collectSubjects(key: string, holds: (view: PermissionView) => boolean): ReadonlySet<string> {
    const known = this.subjectSets.get(key);
    if (known !== undefined) return known;
    const out = new Set<string>();
    for (const subject of this.tree.subjectIds) {
      if (holds(this.singleView(subject))) out.add(subject);
    }
    remember(this.subjectSets, key, out, MAX_SUBJECT_SETS);
    return out;
  }
}

/** Insert into a bounded cache, dropping the oldest entry (insertion order) when full. */
function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): void {
  if (cache.size >= max) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, value);
}
