import { DittoError } from './errors/index.ts';
import { FEATURE_ID_WILDCARD, hasMember, setMember } from './json-keys.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './json.ts';
import { parsePointer, type Pointer } from './json-pointer.ts';

/**
 * A parsed `fields` selector: the flattened pointers in the order they were written, without
 * duplicates. `text` is the selector as received (several parameters joined by commas).
 */
export interface FieldSelector {
  readonly text: string;
  readonly pointers: readonly Pointer[];
  /** Whether some pointer names the feature wildcard and needs the thing's feature IDs. */
  readonly hasFeatureWildcard: boolean;
}

function invalid(text: string, description?: string): DittoError {
  return new DittoError('json.fieldselector.invalid', { selector: text }, description === undefined ? {} : { description });
}

/**
 * [ditto: httpapi-concepts field selector] Parses `a,b/c,d(e,f/g(h))`: comma-separated JSON
 * pointers, where `p(x,y)` stands for `p/x,p/y` and groups nest. Parsing is iterative, so deep
 * parentheses cannot exhaust the stack.
 *
 * Like Ditto: an empty selector is invalid; an empty item selects nothing (`a,,b` is `a,b`, and
 * `a()` is `a`); `a//b` is an invalid pointer (`json.pointer.invalid`); no whitespace is trimmed;
 * `{{ ... }}` placeholders are taken verbatim, brackets and commas inside them included.
 * Stricter than Ditto, which only compares the counts of '(' and ')': a ')' without its '(' and
 * text right after a ')' (`a(b)c`) are rejected instead of being read in surprising ways.
 */
export function parseFieldSelector(input: string | readonly string[]): FieldSelector {
  const text = typeof input === 'string' ? input : input.join(',');
  if (text === '') throw invalid(text, 'The field selector must not be empty.');
  const pointers: Pointer[] = [];
  const seen = new Set<string>();
  // The segments each open group adds; a pointer is their concatenation plus its own token.
  // Keeping them apart keeps deep nesting linear instead of copying every prefix.
  const groups: Pointer[] = [];
  const emit = (token: string): void => {
    const p = [...groups.flat(), ...parsePointer(token)];
    // The root pointer selects nothing in Ditto; leaving it out keeps `pointers` meaningful.
    if (p.length === 0) return;
    const id = p.join('/');
    if (!seen.has(id)) {
      seen.add(id);
      pointers.push(p);
    }
  };
  let token = '';
  let afterGroup = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ',' || c === ')') {
      if (!afterGroup) emit(token);
      token = '';
      afterGroup = c === ')';
      if (c === ')') {
        if (groups.length === 0) throw invalid(text, "A ')' has no matching '('.");
        groups.pop();
      }
    } else if (afterGroup) {
      throw invalid(text, "After ')' only ',' or ')' may follow.");
    } else if (c === '(') {
      groups.push(parsePointer(token));
      token = '';
    } else if (c === '{' && text[i + 1] === '{') {
      const end = text.indexOf('}}', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      token += text.slice(i, stop);
      i = stop - 1;
    } else {
      token += c;
    }
  }
  if (groups.length !== 0) throw invalid(text, "A '(' is not closed.");
  if (!afterGroup) emit(token);
  return { text, pointers, hasFeatureWildcard: pointers.some(isWildcardPointer) };
}

export function fieldSelectorPointers(selector: FieldSelector): readonly Pointer[] {
  return selector.pointers;
}

/** Builds a selector from pointers (e.g. computed ones) without going through text. */
export function fieldSelectorOf(pointers: readonly Pointer[]): FieldSelector {
  return { text: pointers.map((p) => p.join('/')).join(','), pointers, hasFeatureWildcard: pointers.some(isWildcardPointer) };
}

// [ditto: httpapi-concepts field selector with wildcard] Only a feature ID position is a
// wildcard: `features/*/...` and, for metadata, `_metadata/features/*/...`. A '*' elsewhere
// is an ordinary key.
function wildcardIndex(p: Pointer): number {
  if (p.length > 1 && p[0] === 'features' && p[1] === FEATURE_ID_WILDCARD) return 1;
  if (p.length > 2 && p[0] === '_metadata' && p[1] === 'features' && p[2] === FEATURE_ID_WILDCARD) return 2;
  return -1;
}

function isWildcardPointer(p: Pointer): boolean {
  return wildcardIndex(p) >= 0;
}

/** Replaces each wildcard pointer by one pointer per feature ID, in the features' order. */
export function expandFeatureWildcards(pointers: readonly Pointer[], featureIds: readonly string[]): Pointer[] {
  const out: Pointer[] = [];
  for (const p of pointers) {
    const at = wildcardIndex(p);
    if (at < 0) {
      out.push(p);
      continue;
    }
    for (const id of featureIds) out.push([...p.slice(0, at), id, ...p.slice(at + 1)]);
  }
  return out;
}

export interface ApplyFieldSelectorOptions {
  /** Expand `features/*` against `value.features` (a thing). Default true. */
  readonly expandFeatureWildcards?: boolean;
}

/**
 * [ditto: httpapi-concepts field selector] Keeps only the selected paths of `value`:
 * - a path that does not exist, or runs into a non-object, selects nothing;
 * - selecting an object selects all of it, and a shorter pointer wins over a longer one below it;
 * - a path through an array applies the rest of the path to each object element of the array
 *   (other elements are kept as they are), as Ditto does;
 * - members appear in the order the selector first names them, as in Ditto's output, not in the
 *   source's order;
 * - an empty object is returned as it is.
 * Unselected subtrees are shared with `value`, never copied.
 */
export function applyFieldSelector(value: JsonObject, selector: FieldSelector, options: ApplyFieldSelectorOptions = {}): JsonObject {
  if (isEmptyObject(value)) return value;
  let pointers = selector.pointers;
  if (selector.hasFeatureWildcard && options.expandFeatureWildcards !== false) {
    const features = hasMember(value, 'features') ? value['features'] : undefined;
    pointers = expandFeatureWildcards(pointers, isJsonObject(features) ? Object.keys(features) : []);
  }
  const trie: Trie = new Map();
  for (const p of pointers) if (p.length > 0 && contains(value, p, 0)) addToTrie(trie, p);
  return trie.size === 0 ? {} : filterByTrie(value, trie);
}

/** An empty child map means "the whole value from here on". */
type Trie = Map<string, Trie>;

function addToTrie(trie: Trie, p: Pointer): void {
  let node = trie;
  for (let i = 0; i < p.length; i++) {
    const key = p[i] as string;
    const last = i === p.length - 1;
    const child = node.get(key);
    if (child === undefined) {
      const fresh: Trie = new Map();
      node.set(key, fresh);
      node = fresh;
    } else if (last) {
      // Setting an existing key keeps its position, and the whole value now wins.
      node.set(key, new Map());
      return;
    } else if (child.size === 0) {
      return;
    } else {
      node = child;
    }
  }
}

function contains(obj: JsonObject, p: Pointer, i: number): boolean {
  const key = p[i] as string;
  if (!hasMember(obj, key)) return false;
  if (i === p.length - 1) return true;
  const child = obj[key];
  if (isJsonObject(child)) return contains(child, p, i + 1);
  if (Array.isArray(child)) return child.some((e) => isJsonObject(e) && contains(e, p, i + 1));
  return false;
}

function filterByTrie(obj: JsonObject, trie: Trie): JsonObject {
  const out: JsonObject = {};
  for (const [key, sub] of trie) {
    if (!hasMember(obj, key)) continue;
    const v = obj[key] as JsonValue;
    setMember(out, key, sub.size === 0 ? v : filterChild(v, sub));
  }
  return out;
}

function filterChild(v: JsonValue, sub: Trie): JsonValue {
  if (isJsonObject(v)) return filterByTrie(v, sub);
  if (Array.isArray(v)) return v.map((e) => (isJsonObject(e) ? filterByTrie(e, sub) : e));
  return v;
}

function isEmptyObject(obj: JsonObject): boolean {
  for (const _ in obj) return false;
  return true;
}
