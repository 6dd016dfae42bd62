// A deliberately simple, independent reading of Ditto's policy rules (ditto-behaviour.md §9.2,
// docs basic-policy.md): no trie, no cache, no code shared with src/policy. Every question loops
// over the entries and their resources.
//
// - An entry applies when one of its subjects is a caller subject and its namespaces match.
// - Effective permission at a path: among the grants and revokes on the path and its ancestors,
//   the deepest decides; at equal depth a revoke wins.
// - Unrestricted: effective, and no revoke of it anywhere below the path.
// - Partial: effective, or granted somewhere below the path.
// - A read shows a leaf (scalar, array, empty object) when READ is effective at the leaf's path;
//   an object shows its readable leaves; nothing readable is nothing.
// - Imports: an imported policy's entries count when importable is implicit, or explicit and
//   listed by the import; never never. transitiveImports lets the imported policy's own imports
//   count first (one level here).

export type Perm = 'READ' | 'WRITE' | 'EXECUTE';
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface OEntry {
  readonly subjects: Record<string, { type: string; expiry?: string }>;
  readonly resources: Record<string, { grant: Perm[]; revoke: Perm[] }>;
  readonly namespaces?: string[];
  readonly importable?: 'implicit' | 'explicit' | 'never';
}

export interface OImport {
  readonly entries?: string[];
  readonly transitiveImports?: string[];
}

export interface OPolicy {
  readonly policyId: string;
  entries: Record<string, OEntry>;
  imports?: Record<string, OImport>;
}

export type Policies = Map<string, OPolicy>;

function nsMatches(patterns: readonly string[] | undefined, ns: string): boolean {
  if (patterns === undefined || patterns.length === 0) return true;
  return patterns.some((p) => (p.endsWith('.*') ? ns.startsWith(p.slice(0, -1)) : ns === p));
}

function takes(entry: OEntry, label: string, imp: OImport): boolean {
  const type = entry.importable ?? 'implicit';
  return type === 'implicit' || (type === 'explicit' && (imp.entries ?? []).includes(label));
}

/** The entries a policy is evaluated with: its own, then imported ones, labelled like Ditto does. */
export function effectiveEntries(policyId: string, policies: Policies): [string, OEntry][] {
  const policy = policies.get(policyId);
  if (policy === undefined) return [];
  const out: [string, OEntry][] = Object.entries(policy.entries);
  for (const [importedId, imp] of Object.entries(policy.imports ?? {})) {
    const imported = policies.get(importedId);
    if (imported === undefined) continue;
    const available: [string, OEntry][] = Object.entries(imported.entries);
    for (const deeperId of imp.transitiveImports ?? []) {
      const deeperImp = imported.imports?.[deeperId];
      const deeper = policies.get(deeperId);
      if (deeperImp === undefined || deeper === undefined || deeperId === policyId) continue;
      for (const [label, e] of Object.entries(deeper.entries)) {
        if (takes(e, label, deeperImp)) available.push([`imported-${deeperId}-${label}`, e]);
      }
    }
    for (const [label, e] of available) if (takes(e, label, imp)) out.push([`imported-${importedId}-${label}`, e]);
  }
  return out;
}

interface Mark {
  readonly depth: number;
  readonly grant: boolean;
  readonly revoke: boolean;
}

export class Evaluator {
  private readonly resources: { type: string; path: string[]; grant: Perm[]; revoke: Perm[] }[] = [];

  /** The caller's view of `policyId` for an entity in `namespace`. */
  constructor(policyId: string, policies: Policies, namespace: string, callers: readonly string[]) {
    for (const [, entry] of effectiveEntries(policyId, policies)) {
      if (!nsMatches(entry.namespaces, namespace)) continue;
      if (!Object.keys(entry.subjects).some((s) => callers.includes(s))) continue;
      for (const [key, perms] of Object.entries(entry.resources)) {
        const colon = key.indexOf(':');
        const path = key.slice(colon + 1).split('/').filter((s) => s !== '');
        this.resources.push({ type: key.slice(0, colon), path, grant: perms.grant, revoke: perms.revoke });
      }
    }
  }

  private marks(type: string, path: readonly string[], perm: Perm, where: 'atOrAbove' | 'below'): Mark[] {
    const out: Mark[] = [];
    for (const r of this.resources) {
      if (r.type !== type) continue;
      const prefixOfPath = r.path.length <= path.length && r.path.every((s, i) => path[i] === s);
      const below = r.path.length > path.length && path.every((s, i) => r.path[i] === s);
      if ((where === 'atOrAbove' && prefixOfPath) || (where === 'below' && below)) {
        out.push({ depth: r.path.length, grant: r.grant.includes(perm), revoke: r.revoke.includes(perm) });
      }
    }
    return out;
  }

  effective(type: string, path: readonly string[], perm: Perm): boolean {
    const relevant = this.marks(type, path, perm, 'atOrAbove').filter((m) => m.grant || m.revoke);
    if (relevant.length === 0) return false;
    const deepest = Math.max(...relevant.map((m) => m.depth));
    const there = relevant.filter((m) => m.depth === deepest);
    return !there.some((m) => m.revoke) && there.some((m) => m.grant);
  }

  unrestricted(type: string, path: readonly string[], perms: readonly Perm[]): boolean {
    return perms.length > 0 && perms.every((p) => this.effective(type, path, p) && !this.marks(type, path, p, 'below').some((m) => m.revoke));
  }

  partial(type: string, path: readonly string[], perms: readonly Perm[]): boolean {
    return perms.length > 0 && perms.every((p) => this.effective(type, path, p) || this.marks(type, path, p, 'below').some((m) => m.grant));
  }

  /** The readable part of `value`, which sits at `path`; undefined when nothing is readable. */
  view(type: string, path: readonly string[], value: Json): Json | undefined {
    if (isObject(value) && Object.keys(value).length > 0) {
      const out: { [k: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) {
        const sub = this.view(type, [...path, k], v);
        if (sub !== undefined) out[k] = sub;
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    return this.effective(type, path, 'READ') ? value : undefined;
  }
}

export function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getAt(v: Json | undefined, path: readonly string[]): Json | undefined {
  let cur = v;
  for (const k of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function setAt(root: { [k: string]: Json }, path: readonly string[], value: Json): { [k: string]: Json } {
  if (path.length === 0) return value as { [k: string]: Json };
  const [head, ...rest] = path as [string, ...string[]];
  const child = root[head];
  return { ...root, [head]: rest.length === 0 ? value : setAt(isObject(child) ? child : {}, rest, value) };
}

export function deleteAt(root: { [k: string]: Json }, path: readonly string[]): { [k: string]: Json } {
  const [head, ...rest] = path as [string, ...string[]];
  if (!Object.prototype.hasOwnProperty.call(root, head)) return root;
  if (rest.length === 0) {
    const { [head]: _gone, ...others } = root;
    return others;
  }
  const child = root[head];
  return isObject(child) ? { ...root, [head]: deleteAt(child, rest) } : root;
}

/** RFC 7396. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: { [k: string]: Json } = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Every path a merge patch sets or removes: its leaves, and the path of each empty object. */
export function touchedPaths(patch: Json, at: string[] = []): string[][] {
  if (!isObject(patch) || Object.keys(patch).length === 0) return [at];
  return Object.entries(patch).flatMap(([k, v]) => touchedPaths(v, [...at, k]));
}

/** A field selection of comma-separated pointers (no groups): what exists at each pointer. */
export function select(value: { [k: string]: Json }, fields: string): { [k: string]: Json } {
  let out: { [k: string]: Json } = {};
  for (const f of fields.split(',')) {
    const path = f.split('/').filter((s) => s !== '');
    const v = getAt(value, path);
    if (v !== undefined && path.length > 0) out = setAt(out, path, v);
  }
  return out;
}
