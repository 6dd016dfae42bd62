// The compiled form of a policy: one trie per resource type over path segments. Each node keeps,
// per policy subject, which permissions are granted and revoked exactly there. For a concrete set
// of caller subjects a "view" folds that into two bytes per node, after which every check is a
// walk down the request path with no allocation.

import type { Pointer } from '../model/json-pointer.ts';
import { namespaceMatches, parseResourceKey } from './names.ts';
import type { Permission, Policy, ResourceType } from './types.ts';

// Permissions are bits so READ, WRITE and EXECUTE are evaluated side by side but independently
// [ditto: basic-policy "write does not imply read"]. A node byte holds grants in bits 0-2 and
// revokes in bits 3-5.
export const READ_BIT = 1;
export const WRITE_BIT = 2;
export const EXECUTE_BIT = 4;
export const REVOKE_SHIFT = 3;

export function permissionMask(permissions: readonly Permission[]): number {
  let mask = 0;
  for (const p of permissions) mask |= p === 'READ' ? READ_BIT : p === 'WRITE' ? WRITE_BIT : EXECUTE_BIT;
  return mask;
}

/**
 * [ditto: basic-policy grant-revoke] Folding a node into the permissions effective above it: the
 * deepest grant or revoke wins, and at equal depth a revoke beats a grant. Bit by bit that is
 * "add what is granted here, then remove what is revoked here".
 */
export function applyNode(effective: number, own: number): number {
  return (effective | (own & 7)) & ~(own >> REVOKE_SHIFT);
}

export interface TrieNode {
  readonly id: number;
  /** Undefined for a node without children (most leaves), to keep the trie small. */
  children: Map<string, TrieNode> | undefined;
}

export interface CompiledTree {
  readonly roots: Readonly<Record<ResourceType, TrieNode>>;
  readonly nodeCount: number;
  /** Parent id of each node; -1 for the three roots. Parents always have smaller ids. */
  readonly parents: Int32Array;
  /** Per node: the subjects (by index) with grants or revokes there, and their node bytes. */
  readonly markSubjects: readonly (readonly number[])[];
  readonly markBits: readonly (readonly number[])[];
  /** Subject ID -> index, for the subjects of the entries that apply. */
  readonly subjectIndex: ReadonlyMap<string, number>;
  readonly subjectIds: readonly string[];
  /** Earliest subject expiry (epoch ms) still in the future; undefined when none. */
  readonly nextExpiry: number | undefined;
}

/** Per node of a tree, folded over one set of caller subjects. */
export interface PermissionView {
  /** Granted (bits 0-2) and revoked (bits 3-5) exactly at the node. */
  readonly own: Uint8Array;
  /** Granted and revoked anywhere strictly below the node, same layout. */
  readonly below: Uint8Array;
}

// Packs (node id, subject index) into one Map key; policies stay far below 2^21 subjects.
const SUBJECT_STRIDE = 2 ** 21;

class TreeBuilder {
  readonly parents: number[] = [];
  readonly markSubjects: number[][] = [];
  readonly markBits: number[][] = [];
  /** (node, subject) -> position in that node's mark lists, so merging stays linear. */
  private readonly markAt = new Map<number, number>();

  node(parent: number): TrieNode {
    const id = this.parents.length;
    this.parents.push(parent);
    this.markSubjects.push([]);
    this.markBits.push([]);
    return { id, children: undefined };
  }

  insert(root: TrieNode, path: Pointer): TrieNode {
    let node = root;
    for (const segment of path) {
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) {
        child = this.node(node.id);
        node.children.set(segment, child);
      }
      node = child;
    }
    return node;
  }

  mark(node: TrieNode, subject: number, bits: number): void {
    // [ditto: basic-policy] Entries are OR-combined: one subject's grants and revokes on one
    // resource from several entries simply add up.
    const key = node.id * SUBJECT_STRIDE + subject;
    const at = this.markAt.get(key);
    const marks = this.markBits[node.id] as number[];
    if (at !== undefined) marks[at] = (marks[at] as number) | bits;
    else {
      this.markAt.set(key, marks.length);
      (this.markSubjects[node.id] as number[]).push(subject);
      marks.push(bits);
    }
  }
}

/**
 * Compiles the entries that apply in `namespace` at time `nowMs` (undefined: no clock, so every
 * subject with an expiry counts as expired — failing closed rather than trusting a stale subject).
 */
export function buildTree(policy: Policy, namespace: string, nowMs: number | undefined): CompiledTree {
  const b = new TreeBuilder();
  const roots: Record<ResourceType, TrieNode> = { thing: b.node(-1), policy: b.node(-1), message: b.node(-1) };
  const subjectIndex = new Map<string, number>();
  const subjectIds: string[] = [];
  let nextExpiry: number | undefined;

  for (const [label, entry] of Object.entries(policy.entries)) {
    // [ditto: basic-policy namespaces] An entry scoped to other namespaces does not exist here.
    if (!namespaceMatches(entry.namespaces, namespace)) continue;
    const live: number[] = [];
    for (const [subjectId, subject] of Object.entries(entry.subjects)) {
      if (subject.expiry !== undefined) {
        const expiry = Date.parse(subject.expiry);
        // [ditto: basic-policy expiring-subjects] Expired subjects have no access any more; an
        // expiry is only reached once the clock is past it.
        if (nowMs === undefined || Number.isNaN(expiry) || nowMs > expiry) continue;
        if (nextExpiry === undefined || expiry < nextExpiry) nextExpiry = expiry;
      }
      let index = subjectIndex.get(subjectId);
      if (index === undefined) {
        index = subjectIds.length;
        subjectIndex.set(subjectId, index);
        subjectIds.push(subjectId);
      }
      live.push(index);
    }
    if (live.length === 0) continue;
    for (const [key, permissions] of Object.entries(entry.resources)) {
      const bits = permissionMask(permissions.grant) | (permissionMask(permissions.revoke) << REVOKE_SHIFT);
      if (bits === 0) continue;
      const { type, path } = parseResourceKey(key, label);
      const node = b.insert(roots[type], path);
      for (const subject of live) b.mark(node, subject, bits);
    }
  }

  return {
    roots,
    nodeCount: b.parents.length,
    parents: Int32Array.from(b.parents),
    markSubjects: b.markSubjects,
    markBits: b.markBits,
    subjectIndex,
    subjectIds,
    nextExpiry,
  };
}

/** Folds the tree over the given subject indices (each below `tree.subjectIds.length`). */
export function buildView(tree: CompiledTree, subjects: readonly number[]): PermissionView {
  const member = new Uint8Array(tree.subjectIds.length);
  for (const s of subjects) member[s] = 1;
  const n = tree.nodeCount;
  const own = new Uint8Array(n);
  const below = new Uint8Array(n);
  for (let id = 0; id < n; id++) {
    const markSubjects = tree.markSubjects[id] as readonly number[];
    const markBits = tree.markBits[id] as readonly number[];
    let bits = 0;
    for (let i = 0; i < markSubjects.length; i++) {
      if (member[markSubjects[i] as number] === 1) bits |= markBits[i] as number;
    }
    own[id] = bits;
  }
  // Children have larger ids than their parents, so one backwards pass sums up every subtree.
  for (let id = n - 1; id >= 0; id--) {
    const parent = tree.parents[id] as number;
    if (parent >= 0) below[parent] = (below[parent] as number) | (own[id] as number) | (below[id] as number);
  }
  return { own, below };
}

/** The view of no subjects at all: nothing granted anywhere. */
export function emptyView(tree: CompiledTree): PermissionView {
  return { own: new Uint8Array(tree.nodeCount), below: new Uint8Array(tree.nodeCount) };
}
