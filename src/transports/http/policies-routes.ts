import type { Pointer } from '../../model/json-pointer.ts';
import { formatResourceKey, parseResourceKey } from '../../policy/index.ts';
import { isPolicyActionName, type PolicyActionName } from '../../signals/index.ts';
import type { HttpMethod } from './things-routes.ts';

const GET_PUT: readonly HttpMethod[] = ['GET', 'PUT'];
const GET_PUT_DELETE: readonly HttpMethod[] = ['GET', 'PUT', 'DELETE'];

export type PolicyRouteMatch =
  | { readonly kind: 'resource'; readonly path: Pointer; readonly methods: readonly HttpMethod[] }
  /** [ditto: PoliciesRoute, PolicyEntriesRoute] POST …/actions/<name>, top-level or of one entry. */
  | { readonly kind: 'action'; readonly action: PolicyActionName; readonly label?: string }
  | { readonly kind: 'none' };

const none: PolicyRouteMatch = { kind: 'none' };

function resource(path: Pointer, methods: readonly HttpMethod[]): PolicyRouteMatch {
  return { kind: 'resource', path, methods };
}

/** A resource key from the rest of the URL path, in its canonical form (`thing:` is `thing:/`). */
function resourceKey(rest: readonly string[], label: string): string {
  const text = rest.join('/');
  const key = parseResourceKey(text, label);
  return formatResourceKey(key.type, key.path);
}

function actionRoute(rest: readonly string[], label?: string): PolicyRouteMatch {
  const [name, ...tail] = rest;
  if (name === undefined || tail.length > 0 || !isPolicyActionName(name)) return none;
  return label === undefined ? { kind: 'action', action: name } : { kind: 'action', action: name, label };
}

function entryRoute(label: string, rest: readonly string[]): PolicyRouteMatch {
  const [part, ...tail] = rest;
  if (part === undefined) return resource(['entries', label], GET_PUT_DELETE);
  switch (part) {
    case 'actions':
      return actionRoute(tail, label);
    // [ditto: PolicyEntriesRoute] a subject ID or resource key is the whole remaining path.
    case 'subjects':
      return tail.length === 0 ? resource(['entries', label, part], GET_PUT) : resource(['entries', label, part, tail.join('/')], GET_PUT_DELETE);
    case 'resources':
      return tail.length === 0 ? resource(['entries', label, part], GET_PUT) : resource(['entries', label, part, resourceKey(tail, label)], GET_PUT_DELETE);
    case 'importable':
    case 'namespaces':
      return tail.length === 0 ? resource(['entries', label, part], GET_PUT) : none;
    case 'allowedAdditions':
    case 'references':
      return tail.length === 0 ? resource(['entries', label, part], GET_PUT_DELETE) : none;
    default:
      return none;
  }
}

/**
 * Maps the segments after `/api/2/policies/{policyId}` to a path inside the policy and the methods
 * Ditto's routes accept there, or to a policy action.
 */
export function matchPolicyRoute(rest: readonly string[]): PolicyRouteMatch {
  const [top, id, part, ...tail] = rest;
  if (top === undefined) return resource([], GET_PUT_DELETE);
  if (top === 'actions') return actionRoute(rest.slice(1));
  if (top === 'entries') {
    if (id === undefined) return resource(['entries'], GET_PUT);
    return entryRoute(id, rest.slice(2));
  }
  if (top === 'imports') {
    if (id === undefined) return resource(['imports'], GET_PUT_DELETE);
    if (part === undefined) return resource(['imports', id], GET_PUT_DELETE);
    if (tail.length === 0 && (part === 'entries' || part === 'transitiveImports')) return resource(['imports', id, part], GET_PUT);
  }
  return none;
}
