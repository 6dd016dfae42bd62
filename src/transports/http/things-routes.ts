import type { Pointer } from '../../model/json-pointer.ts';
import type { ThingAction } from '../../signals/index.ts';

export type HttpMethod = 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

const ALL: readonly HttpMethod[] = ['GET', 'PUT', 'PATCH', 'DELETE'];
const NO_DELETE: readonly HttpMethod[] = ['GET', 'PUT', 'PATCH'];

export const ACTION_OF: Readonly<Record<Exclude<HttpMethod, 'POST'>, ThingAction>> = {
  GET: 'retrieve',
  PUT: 'modify',
  PATCH: 'merge',
  DELETE: 'delete',
};

export type ThingRouteMatch =
  | { readonly kind: 'resource'; readonly path: Pointer; readonly methods: readonly HttpMethod[] }
  | { readonly kind: 'none' };

/**
 * Maps the segments after `/api/2/things/{thingId}` to a path inside the thing and the methods
 * Ditto's routes accept there (policyId has no DELETE; features has no POST, and so on).
 */
export function matchThingRoute(rest: readonly string[]): ThingRouteMatch {
  const [top, featureId, sub] = rest;
  if (top === undefined) return { kind: 'resource', path: [], methods: ALL };
  switch (top) {
    case 'policyId':
      return rest.length === 1 ? { kind: 'resource', path: rest, methods: NO_DELETE } : { kind: 'none' };
    case 'definition':
      return rest.length === 1 ? { kind: 'resource', path: rest, methods: ALL } : { kind: 'none' };
    case 'attributes':
      return { kind: 'resource', path: rest, methods: ALL };
    case 'features':
      if (featureId === undefined || sub === undefined) return { kind: 'resource', path: rest, methods: ALL };
      if (sub === 'definition' && rest.length === 3) return { kind: 'resource', path: rest, methods: ALL };
      if (sub === 'properties' || sub === 'desiredProperties') return { kind: 'resource', path: rest, methods: ALL };
      return { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}
