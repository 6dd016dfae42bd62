import { DittoError } from './errors/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './json.ts';

/**
 * A JSON pointer as Ditto uses it: slash-separated keys, a leading slash optional, a trailing
 * slash ignored. Keys cannot contain '/', so there is no escaping. An empty segment (a double
 * slash) is invalid. The root is the empty array.
 */
export type Pointer = readonly string[];

export function parsePointer(text: string): Pointer {
  let s = text;
  if (s.startsWith('/')) s = s.slice(1);
  if (s.endsWith('/')) s = s.slice(0, -1);
  if (s === '') return [];
  const segments = s.split('/');
  if (segments.some((seg) => seg === '')) throw new DittoError('json.pointer.invalid', { pointer: text });
  return segments;
}

export function formatPointer(p: Pointer): string {
  return '/' + p.join('/');
}

export function getAt(value: JsonValue | undefined, p: Pointer): JsonValue | undefined {
  let cur: JsonValue | undefined = value;
  for (const key of p) {
    if (!isJsonObject(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * Returns a copy of `root` with `value` at `p`, creating objects on the way. Objects along the
 * path are copied (structural sharing elsewhere); a non-object on the way is replaced by an object.
 */
export function setAt(root: JsonObject, p: Pointer, value: JsonValue): JsonObject {
  if (p.length === 0) {
    if (!isJsonObject(value)) throw new TypeError('the root must stay an object');
    return value;
  }
  return setIn(root, p, 0, value) as JsonObject;
}

function setIn(node: JsonValue | undefined, p: Pointer, i: number, value: JsonValue): JsonValue {
  if (i === p.length) return value;
  const key = p[i] as string;
  const obj: JsonObject = isJsonObject(node) ? { ...node } : {};
  const child = setIn(Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined, p, i + 1, value);
  // A key named __proto__ must stay an ordinary member, never reach the prototype.
  Object.defineProperty(obj, key, { value: child, writable: true, enumerable: true, configurable: true });
  return obj;
}

/** Returns a copy of `root` without the value at `p` (unchanged when absent). */
export function deleteAt(root: JsonObject, p: Pointer): JsonObject {
  if (p.length === 0) return {};
  const out = deleteIn(root, p, 0);
  return isJsonObject(out) ? out : root;
}

function deleteIn(node: JsonValue | undefined, p: Pointer, i: number): JsonValue | undefined {
  if (!isJsonObject(node)) return node;
  const key = p[i] as string;
  if (!Object.prototype.hasOwnProperty.call(node, key)) return node;
  const obj: JsonObject = { ...node };
  if (i === p.length - 1) {
    delete obj[key];
  } else {
    const child = deleteIn(obj[key], p, i + 1);
    if (child !== undefined) obj[key] = child;
  }
  return obj;
}
