import { isJsonObject, type JsonObject, type JsonValue } from '../../model/json.ts';
import { KIND } from './paths.ts';

// A thing flattened into the rows of the search index: one row per value reachable in
// `definition`, `attributes` and `features`, containers included (so that `exists` finds them).
// Array elements are indexed under the array's own path, and the fields of object elements under
// the array's path too, which is how a filter reaches into arrays [ditto: basic-search
// querying-json-arrays]. Containers carry their number of children in `n`.

export interface IndexRow {
  /** Generic path: feature ID replaced by `*`, array indexes dropped. */
  readonly p: string;
  /** Feature ID, '' outside features. */
  readonly f: string;
  readonly k: number;
  readonly t: string | null;
  readonly n: number | null;
  readonly b: boolean | null;
}

const INDEXED_ROOTS = ['definition', 'attributes', 'features'] as const;

/** Maps the strings of a row as the database stores them (identity by default). */
export type TextMapping = (s: string) => string;
const identity: TextMapping = (s) => s;

export function indexRows(thing: JsonObject, text: TextMapping = identity): IndexRow[] {
  const out: IndexRow[] = [];
  for (const root of INDEXED_ROOTS) {
    const value = thing[root];
    if (value !== undefined) walk(value, root, '', out, root === 'features', text);
  }
  return out;
}

function walk(node: JsonValue, path: string, fid: string, out: IndexRow[], featuresObject: boolean, text: TextMapping): void {
  out.push(rowOf(node, path, fid, text));
  if (Array.isArray(node)) {
    for (const el of node) elements(el, path, fid, out, text);
  } else if (isJsonObject(node)) {
    for (const [key, child] of Object.entries(node)) {
      if (featuresObject) walk(child as JsonValue, `${path}/*`, key, out, false, text);
      else walk(child as JsonValue, `${path}/${key}`, fid, out, false, text);
    }
  }
}

/** An array element, under the array's path. */
function elements(el: JsonValue, path: string, fid: string, out: IndexRow[], text: TextMapping): void {
  if (Array.isArray(el)) {
    for (const inner of el) elements(inner, path, fid, out, text);
    return;
  }
  out.push(rowOf(el, path, fid, text));
  if (isJsonObject(el)) {
    for (const [key, child] of Object.entries(el)) walk(child as JsonValue, `${path}/${key}`, fid, out, false, text);
  }
}

function rowOf(v: JsonValue, path: string, fid: string, text: TextMapping): IndexRow {
  const p = text(path);
  const f = text(fid);
  if (v === null) return { p, f, k: KIND.null, t: null, n: null, b: null };
  if (Array.isArray(v)) return { p, f, k: KIND.array, t: null, n: v.length, b: null };
  switch (typeof v) {
    case 'string':
      return { p, f, k: KIND.string, t: text(v), n: null, b: null };
    case 'number':
      return { p, f, k: KIND.number, t: null, n: v, b: null };
    case 'boolean':
      return { p, f, k: KIND.boolean, t: null, n: null, b: v };
    default:
      return { p, f, k: KIND.object, t: null, n: Object.keys(v).length, b: null };
  }
}

export interface IndexRowChanges {
  /** Rows of `before` that `after` lacks; deleting one by its values removes no row that stays. */
  readonly removed: IndexRow[];
  readonly added: IndexRow[];
  /**
   * Rows whose value changed in place: a scalar replaced by another, or an object whose number of
   * keys changed, outside arrays. Such a row is the only one of the thing at its (path, feature
   * ID), so changing the row equal to `before` into `after` changes that row alone.
   */
  readonly changed: ChangedRow[];
}

export interface ChangedRow {
  readonly before: IndexRow;
  readonly after: IndexRow;
}

/**
 * The rows to delete and to insert to turn `before`'s rows into `after`'s. Subtrees that are the
 * same object (a modified thing shares every untouched part with its previous state) are skipped
 * without a look, so a write of one value costs a walk down its path.
 *
 * Outside arrays each row's (path, feature ID) is unique in a thing, so a row found in one state
 * and not in the other can be deleted by its values. Rows under an array share the array's path
 * and may repeat; an array (and an object with keys that the text mapping merges) is compared as a
 * multiset: when the number of copies of a row differs, all copies are removed and the new number
 * added, because a delete by values removes every copy.
 */
export function indexRowChanges(before: JsonObject, after: JsonObject, text: TextMapping = identity): IndexRowChanges {
  const out: IndexRowChanges = { removed: [], added: [], changed: [] };
  for (const root of INDEXED_ROOTS) diffNode(before[root], after[root], root, '', root === 'features', text, out);
  return out;
}

function diffNode(
  a: JsonValue | undefined, b: JsonValue | undefined, path: string, fid: string, featuresObject: boolean, text: TextMapping, out: IndexRowChanges,
): void {
  if (a === b) return;
  if (a === undefined || b === undefined) {
    if (a !== undefined) walk(a, path, fid, out.removed, featuresObject, text);
    if (b !== undefined) walk(b, path, fid, out.added, featuresObject, text);
    return;
  }
  if (isJsonObject(a) && isJsonObject(b) && !Array.isArray(a) && !Array.isArray(b) && keysKeptApart(a, b, text)) {
    const ra = rowOf(a, path, fid, text);
    const rb = rowOf(b, path, fid, text);
    if (ra.n !== rb.n) out.changed.push({ before: ra, after: rb });
    for (const key of Object.keys(a)) {
      const childPath = featuresObject ? `${path}/*` : `${path}/${key}`;
      diffNode(a[key], Object.prototype.hasOwnProperty.call(b, key) ? b[key] : undefined, childPath, featuresObject ? key : fid, false, text, out);
    }
    for (const key of Object.keys(b)) {
      if (Object.prototype.hasOwnProperty.call(a, key)) continue;
      walk(b[key] as JsonValue, featuresObject ? `${path}/*` : `${path}/${key}`, featuresObject ? key : fid, out.added, false, text);
    }
    return;
  }
  if (!isContainer(a) && !isContainer(b)) {
    const ra = rowOf(a, path, fid, text);
    const rb = rowOf(b, path, fid, text);
    if (rowKey(ra) !== rowKey(rb)) out.changed.push({ before: ra, after: rb });
    return;
  }
  const ra: IndexRow[] = [];
  const rb: IndexRow[] = [];
  walk(a, path, fid, ra, featuresObject, text);
  walk(b, path, fid, rb, featuresObject, text);
  multisetDiff(ra, rb, out);
}

const isContainer = (v: JsonValue): boolean => typeof v === 'object' && v !== null;

/** Whether no two keys of `a` and `b` map to one stored text (so sibling rows stay distinct). */
function keysKeptApart(a: JsonObject, b: JsonObject, text: TextMapping): boolean {
  if (text === identity) return true;
  for (const o of [a, b]) for (const key of Object.keys(o)) if (text(key) !== key) return false;
  return true;
}

const rowKey = (r: IndexRow): string => `${r.p.length}:${r.p}${r.f.length}:${r.f}${r.k}:${r.t === null ? '-' : `${r.t.length}:${r.t}`}:${String(r.n)}:${String(r.b)}`;

function multisetDiff(before: readonly IndexRow[], after: readonly IndexRow[], out: IndexRowChanges): void {
  const count = (rows: readonly IndexRow[]): Map<string, { row: IndexRow; count: number }> => {
    const m = new Map<string, { row: IndexRow; count: number }>();
    for (const row of rows) {
      const key = rowKey(row);
      const seen = m.get(key);
      if (seen === undefined) m.set(key, { row, count: 1 });
      else seen.count++;
    }
    return m;
  };
  const ca = count(before);
  const cb = count(after);
  for (const [key, old] of ca) {
    const now = cb.get(key)?.count ?? 0;
    if (now === old.count) continue;
    out.removed.push(old.row);
    for (let c = 0; c < now; c++) out.added.push(old.row);
  }
  for (const [key, now] of cb) {
    if (ca.has(key)) continue;
    for (let c = 0; c < now.count; c++) out.added.push(now.row);
  }
}
