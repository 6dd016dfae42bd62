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

export function indexRows(thing: JsonObject): IndexRow[] {
  const out: IndexRow[] = [];
  for (const root of INDEXED_ROOTS) {
    const value = thing[root];
    if (value !== undefined) walk(value, root, '', out, root === 'features');
  }
  return out;
}

function walk(node: JsonValue, path: string, fid: string, out: IndexRow[], featuresObject: boolean): void {
  out.push(rowOf(node, path, fid));
  if (Array.isArray(node)) {
    for (const el of node) elements(el, path, fid, out);
  } else if (isJsonObject(node)) {
    for (const [key, child] of Object.entries(node)) {
      if (featuresObject) walk(child as JsonValue, `${path}/*`, key, out, false);
      else walk(child as JsonValue, `${path}/${key}`, fid, out, false);
    }
  }
}

/** An array element, under the array's path. */
function elements(el: JsonValue, path: string, fid: string, out: IndexRow[]): void {
  if (Array.isArray(el)) {
    for (const inner of el) elements(inner, path, fid, out);
    return;
  }
  out.push(rowOf(el, path, fid));
  if (isJsonObject(el)) {
    for (const [key, child] of Object.entries(el)) walk(child as JsonValue, `${path}/${key}`, fid, out, false);
  }
}

function rowOf(v: JsonValue, p: string, f: string): IndexRow {
  if (v === null) return { p, f, k: KIND.null, t: null, n: null, b: null };
  if (Array.isArray(v)) return { p, f, k: KIND.array, t: null, n: v.length, b: null };
  switch (typeof v) {
    case 'string':
      return { p, f, k: KIND.string, t: v, n: null, b: null };
    case 'number':
      return { p, f, k: KIND.number, t: null, n: v, b: null };
    case 'boolean':
      return { p, f, k: KIND.boolean, t: null, n: null, b: v };
    default:
      return { p, f, k: KIND.object, t: null, n: Object.keys(v).length, b: null };
  }
}
