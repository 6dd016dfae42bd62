import { DittoError } from './errors/index.ts';
import { hasMember, setMember } from './json-keys.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './json.ts';
import type { Pointer } from './json-pointer.ts';

/** Longest regex accepted in a `{{ ~regex~ }}` deletion key. */
export const MAX_DELETION_REGEX_LENGTH = 256;

/**
 * Most quantifiers with a variable count (`?`, `*`, `+`, `{m,n}`) one deletion regex may hold.
 * Without nested quantifiers a backtracking match costs at most about len(key)^k steps for k of
 * them; keys are at most 256 long and a thing at most ~100 kB, so k = 2 bounds a whole merge to a
 * few million steps while still allowing forms like `.*-temp-.*` or `(foo|bar)_[0-9]+`.
 */
export const MAX_DELETION_REGEX_QUANTIFIERS = 2;

/**
 * [ditto: httpapi-concepts merge updates] Applies an RFC 7396 merge patch: null deletes, objects
 * merge member by member, anything else (arrays included) replaces. Ditto's extension: inside an
 * object of the patch, a key `{{ ~regex~ }}` (or `{{ /regex/ }}`) with value null first deletes
 * every member of the target object whose key the regex matches completely; the rest of that
 * object's patch is applied afterwards, so it may re-add matched keys.
 *
 * Inputs are never mutated. The result shares every unchanged subtree with `target` (and with
 * `patch` where patch values are taken over), so treat all three as immutable. Where nothing
 * changes, `target` itself comes back.
 */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonObject): JsonObject;
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue;
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  return isJsonObject(target) ? mergeObjects(target, patch) : withoutNulls(patch);
}

function mergeObjects(target: JsonObject, patch: JsonObject): JsonObject {
  let out: JsonObject | undefined;
  const keys = Object.keys(patch);
  // Regex deletions act before any other member of this object's patch.
  for (const key of keys) {
    const source = patch[key] === null ? deletionRegexSource(key) : undefined;
    if (source === undefined) continue;
    const regex = compileDeletionRegex(source);
    for (const existing of Object.keys(out ?? target)) {
      if (regex.test(existing)) {
        out ??= { ...target };
        delete out[existing];
      }
    }
  }
  for (const key of keys) {
    const value = patch[key] as JsonValue;
    const base = out ?? target;
    if (value === null) {
      // A deletion key also deletes a member literally named like it, as in Ditto.
      if (hasMember(base, key)) {
        out ??= { ...target };
        delete out[key];
      }
      continue;
    }
    const current = hasMember(base, key) ? base[key] : undefined;
    const next = isJsonObject(value) ? (isJsonObject(current) ? mergeObjects(current, value) : withoutNulls(value)) : value;
    if (next !== current) {
      out ??= { ...target };
      setMember(out, key, next);
    }
  }
  return out ?? target;
}

/**
 * Null members removed from objects at every depth (arrays are values and stay as they are).
 * Returns `value` itself when it holds no null member.
 */
function withoutNulls(value: JsonObject): JsonObject {
  let out: JsonObject | undefined;
  for (const key of Object.keys(value)) {
    const v = value[key] as JsonValue;
    if (v === null) {
      out ??= { ...value };
      delete out[key];
    } else if (isJsonObject(v)) {
      const cleaned = withoutNulls(v);
      if (cleaned !== v) {
        out ??= { ...value };
        setMember(out, key, cleaned);
      }
    }
  }
  return out ?? value;
}

/**
 * [ditto: protocol-specification-things-merge] A merge that creates a thing stores the patch
 * without its null members (there is nothing for them to delete). Regex deletion keys are null
 * members too and disappear with them.
 */
export function removeNullsForCreate(value: JsonValue): JsonValue {
  return isJsonObject(value) ? withoutNulls(value) : value;
}

/**
 * The regex of a deletion key, or undefined when `key` is an ordinary key. Like Ditto: `{{` and
 * `}}` around, whitespace inside them trimmed, then the regex between two `~` (or two `/`).
 */
export function deletionRegexSource(key: string): string | undefined {
  if (key.length < 6 || key.charCodeAt(0) !== 0x7b || key.charCodeAt(1) !== 0x7b || !key.endsWith('}}')) return undefined;
  const inner = key.slice(2, -2).trim();
  if (inner.length < 2) return undefined;
  const delimiter = inner[0];
  if ((delimiter !== '~' && delimiter !== '/') || inner[inner.length - 1] !== delimiter) return undefined;
  return inner.slice(1, -1);
}

/** True for a member of a patch that is a regex deletion (for key validation to skip it). */
export function isRegexDeletion(key: string, value: JsonValue): boolean {
  return value === null && deletionRegexSource(key) !== undefined;
}

function mergeInvalid(reason: string): DittoError {
  return new DittoError('things:merge.invalid', { reason });
}

/**
 * Compiles a deletion regex for a whole-key match (Ditto uses Java's `matches()`). Patterns that
 * could backtrack catastrophically are refused with 400 `things:merge.invalid`, since a request
 * must not be able to stall the server: too long, a repeated group that itself holds a variable
 * quantifier or an alternation (`(a+)+`, `(a|a)*`), or too many variable quantifiers.
 */
export function compileDeletionRegex(source: string): RegExp {
  if (source.length > MAX_DELETION_REGEX_LENGTH) {
    throw mergeInvalid(`The regular expression of a deletion key may be at most ${MAX_DELETION_REGEX_LENGTH} characters long.`);
  }
  const problem = regexRisk(source);
  if (problem !== undefined) throw mergeInvalid(`The regular expression '${source}' is not accepted: ${problem}`);
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw mergeInvalid(`The regular expression '${source}' is invalid: ${e instanceof Error ? e.message : String(e)}`);
  }
}

interface GroupScan {
  risky: boolean;
}

/**
 * A conservative scan of a regex for the shapes that make backtracking explode. It only has to
 * be right for patterns the RegExp constructor accepts; anything it misreads errs on refusing.
 */
function regexRisk(source: string): string | undefined {
  const groups: GroupScan[] = [{ risky: false }];
  let variableQuantifiers = 0;
  // What the next quantifier would repeat: a group (and whether it is risky) or a single atom.
  let lastGroupRisky: boolean | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    const top = groups[groups.length - 1] as GroupScan;
    if (c === '\\') {
      i++;
      lastGroupRisky = undefined;
    } else if (c === '[') {
      i = skipClass(source, i);
      lastGroupRisky = undefined;
    } else if (c === '(') {
      groups.push({ risky: false });
      i = skipGroupPrefix(source, i);
      lastGroupRisky = undefined;
    } else if (c === ')') {
      const closed = groups.length > 1 ? groups.pop() : undefined;
      const risky = closed?.risky ?? false;
      if (risky) (groups[groups.length - 1] as GroupScan).risky = true;
      lastGroupRisky = risky;
    } else if (c === '|') {
      top.risky = true;
      lastGroupRisky = undefined;
    } else {
      const q = readQuantifier(source, i);
      if (q === undefined) {
        lastGroupRisky = undefined;
        continue;
      }
      if (q.repeats && lastGroupRisky === true) return 'a repeated group must not contain a variable quantifier or an alternation.';
      if (q.variable) {
        variableQuantifiers++;
        top.risky = true;
        if (variableQuantifiers > MAX_DELETION_REGEX_QUANTIFIERS) {
          return `at most ${MAX_DELETION_REGEX_QUANTIFIERS} variable quantifiers are allowed.`;
        }
      }
      i = q.end;
      // A lazy '?' right after a quantifier belongs to it.
      if (source[i + 1] === '?') i++;
      lastGroupRisky = undefined;
    }
  }
  return undefined;
}

function skipClass(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === '^') i++;
  for (; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i;
  }
  return source.length;
}

/** Skips `?:`, `?=`, `?!`, `?<=`, `?<!` and `?<name>` after an opening parenthesis. */
function skipGroupPrefix(source: string, open: number): number {
  if (source[open + 1] !== '?') return open;
  const kind = source[open + 2];
  if (kind === '<' && source[open + 3] !== '=' && source[open + 3] !== '!') {
    const close = source.indexOf('>', open + 3);
    return close < 0 ? source.length : close;
  }
  return kind === '<' ? open + 3 : open + 2;
}

interface Quantifier {
  readonly end: number;
  /** The count is not fixed. */
  readonly variable: boolean;
  /** It may match its atom more than once. */
  readonly repeats: boolean;
}

function readQuantifier(source: string, i: number): Quantifier | undefined {
  const c = source[i];
  if (c === '*' || c === '+') return { end: i, variable: true, repeats: true };
  if (c === '?') return { end: i, variable: true, repeats: false };
  if (c !== '{') return undefined;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
  if (m === null) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Number.POSITIVE_INFINITY : Number(m[3]);
  return { end: i + m[0].length - 1, variable: max !== min, repeats: max > 1 };
}

/**
 * [ditto: httpapi-concepts permissions required for merge update] The paths a patch writes or
 * deletes, relative to where it is applied: each leaf of a nested object, an empty object's own
 * path (it creates or keeps an object there), and for regex deletions the path of the object
 * they delete from (any of its members may go). A non-object patch touches the root (`[]`).
 */
export function mergePatchTouchedPaths(patch: JsonValue): Pointer[] {
  const out: Pointer[] = [];
  collectTouched(patch, [], out);
  return out;
}

function collectTouched(patch: JsonValue, at: Pointer, out: Pointer[]): void {
  if (!isJsonObject(patch)) {
    out.push(at);
    return;
  }
  const keys = Object.keys(patch);
  if (keys.length === 0) {
    out.push(at);
    return;
  }
  let parentAdded = false;
  for (const key of keys) {
    const value = patch[key] as JsonValue;
    if (isRegexDeletion(key, value)) {
      if (!parentAdded) out.push(at);
      parentAdded = true;
    } else {
      collectTouched(value, [...at, key], out);
    }
  }
}
