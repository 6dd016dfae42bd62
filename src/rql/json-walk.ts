import { isJsonObject, type JsonValue } from '../model/json.ts';
import type { Pointer } from '../model/json-pointer.ts';

// How a filter property finds values in a thing [ditto: basic-search querying-json-arrays]:
// - a path that runs into an array continues in each object element of it (other elements,
//   nested arrays included, are skipped), so `attributes/list/room` reaches every room;
// - `features/*/...` continues in every feature;
// - each value the path ends on is offered to the test, and any accepted value is a match.
// The walk is iterative: neither long paths nor deep data can overflow the stack.

/** Whether `test` accepts any value found at `path` below `root`. `wildcardAt` is -1 for no wildcard. */
export function someAt(root: JsonValue, path: Pointer, wildcardAt: number, test: (v: JsonValue) => boolean): boolean {
  let pending: { node: JsonValue; at: number }[] | undefined;
  let node: JsonValue | undefined = root;
  let at = 0;
  for (;;) {
    while (node !== undefined) {
      if (at === path.length) {
        if (test(node)) return true;
        break;
      }
      if (Array.isArray(node)) {
        pending ??= [];
        for (const el of node) if (isJsonObject(el)) pending.push({ node: el, at });
        break;
      }
      if (!isJsonObject(node)) break;
      if (at === wildcardAt) {
        pending ??= [];
        for (const key of Object.keys(node)) pending.push({ node: node[key] as JsonValue, at: at + 1 });
        break;
      }
      const key = path[at] as string;
      node = Object.hasOwn(node, key) ? node[key] : undefined;
      at++;
    }
    const next = pending?.pop();
    if (next === undefined) return false;
    node = next.node;
    at = next.at;
  }
}

/**
 * Whether `test` accepts a scalar in `value`: the value itself, or, for an array, any scalar in
 * it or in arrays nested in it. Objects are never compared [ditto: basic-search].
 */
export function someScalar(value: JsonValue, test: (v: string | number | boolean | null) => boolean): boolean {
  if (!Array.isArray(value)) return !isJsonObject(value) && test(value);
  const stack: JsonValue[] = [value];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i] as JsonValue);
    } else if (!isJsonObject(item) && test(item)) {
      return true;
    }
  }
  return false;
}
