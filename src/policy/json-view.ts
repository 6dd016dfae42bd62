// The READ-filtered JSON view of a value, the shape Ditto answers retrieves and events with.

import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.ts';
import type { Pointer } from '../model/json-pointer.ts';
import { applyNode, READ_BIT, REVOKE_SHIFT, type CompiledTree, type PermissionView, type TrieNode } from './tree.ts';
import type { ResourceType } from './types.ts';

const READ_REVOKED = READ_BIT << REVOKE_SHIFT;

/**
 * [ditto: basic-policy] A leaf (a scalar, an array or an empty object) is shown when READ is
 * effective at its own path; an object is shown with the leaves that are. Grants or revokes deeper
 * than a leaf do not matter to it. `undefined` means no leaf is readable.
 */
export function filterView(
  tree: CompiledTree, view: PermissionView, type: ResourceType, basePath: Pointer, value: JsonValue,
): JsonValue | undefined {
  let node: TrieNode | undefined = tree.roots[type];
  let effective = applyNode(0, view.own[node.id] as number);
  for (const segment of basePath) {
    const child: TrieNode | undefined = node.children?.get(segment);
    if (child === undefined) {
      // Nothing is granted or revoked at or below here: the whole value shares one verdict.
      return (effective & READ_BIT) !== 0 ? value : undefined;
    }
    node = child;
    effective = applyNode(effective, view.own[node.id] as number);
  }
  return filterAt(view, node, (effective & READ_BIT) !== 0, value);
}

function filterAt(view: PermissionView, node: TrieNode, readable: boolean, value: JsonValue): JsonValue | undefined {
  const below = view.below[node.id] as number;
  // The common cases decide a whole subtree at once: readable with no revoke below (this is the
  // hot path of every GET, answered with the very same object), or unreadable with no grant below.
  if (readable && (below & READ_REVOKED) === 0) return value;
  if (!readable && (below & READ_BIT) === 0) return undefined;
  if (!isJsonObject(value)) return readable ? value : undefined;
  const keys = Object.keys(value);
  if (keys.length === 0) return readable ? value : undefined;

  const children = node.children;
  const out: JsonObject = {};
  let unchanged = true;
  let kept = 0;
  for (const key of keys) {
    const childValue = value[key] as JsonValue;
    const child = children?.get(key);
    const filtered = child === undefined
      ? (readable ? childValue : undefined)
      : filterAt(view, child, (applyNode(readable ? READ_BIT : 0, view.own[child.id] as number) & READ_BIT) !== 0, childValue);
    if (filtered === undefined) {
      unchanged = false;
      continue;
    }
    if (filtered !== childValue) unchanged = false;
    setOwn(out, key, filtered);
    kept++;
  }
  if (unchanged) return value;
  return kept === 0 ? undefined : out;
}

/** Assignment that keeps a "__proto__" key as data instead of changing the prototype. */
function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
