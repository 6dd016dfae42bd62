// What the server must answer to thing, policy and checkPermissions requests, derived from the
// independent evaluator and the documented outcome rules (ditto-behaviour.md §2.12, docs/policies.md):
// reads need partial READ (404 with the resource's code otherwise) and answer the readable part;
// writes need unrestricted WRITE on every path they touch (403, or 404 for a caller who may read
// nothing of the thing); a missing resource is a 404 once the caller may know.

import {
  deleteAt, Evaluator, getAt, isObject, mergePatch, select, setAt, touchedPaths, type Json, type Perm, type Policies,
} from './evaluator.ts';

export interface Expected {
  readonly status: number;
  /** The body of a 200/201 answer (undefined: no body). */
  readonly body?: Json;
  /** The error code of an error answer. */
  readonly error?: string;
}

export type ThingState = { [k: string]: Json };

interface Kind {
  readonly name: string;
  readonly featureId?: string;
}

/** Ditto's resource of a thing path, by its error-code name. */
function kindOf(path: readonly string[]): Kind {
  const [top, fid, sub] = path;
  if (top === undefined) return { name: 'thing' };
  if (top === 'attributes') return { name: path.length === 1 ? 'attributes' : 'attribute' };
  if (top === 'policyId' || top === 'definition') return { name: top };
  if (fid === undefined) return { name: 'features' };
  if (sub === undefined) return { name: 'feature', featureId: fid };
  if (sub === 'definition') return { name: 'feature.definition', featureId: fid };
  return { name: path.length === 3 ? 'feature.properties' : 'feature.property', featureId: fid };
}

const notFound = (path: readonly string[]): string => `things:${kindOf(path).name}.notfound`;
const notModifiable = (path: readonly string[]): string => `things:${kindOf(path).name}.notmodifiable`;

function featureMissing(state: ThingState, path: readonly string[]): boolean {
  const k = kindOf(path);
  return k.featureId !== undefined && k.name !== 'feature' && getAt(state, ['features', k.featureId]) === undefined;
}

function error(status: number, code: string): Expected {
  return { status, error: code };
}

export function expectThingGet(state: ThingState, ev: Evaluator, path: readonly string[], fields: string | undefined): Expected {
  if (!ev.partial('thing', path, ['READ'])) return error(404, notFound(path));
  const raw = getAt(state, path);
  if (raw === undefined) return error(404, featureMissing(state, path) ? 'things:feature.notfound' : notFound(path));
  if (path.length === 0) {
    const readable = ev.view('thing', [], raw);
    const whole: ThingState = { thingId: state['thingId'] as Json, ...(isObject(readable) ? readable : {}) };
    return { status: 200, body: fields === undefined ? whole : select(whole, fields) };
  }
  let body = ev.view('thing', path, raw);
  if (body !== undefined && fields !== undefined && isObject(body)) body = select(body, fields);
  return body === undefined ? error(404, notFound(path)) : { status: 200, body };
}

function writeDenied(ev: Evaluator, path: readonly string[]): Expected {
  return ev.partial('thing', [], ['READ']) ? error(403, notModifiable(path)) : error(404, 'things:thing.notfound');
}

export function expectThingPut(state: ThingState, ev: Evaluator, path: readonly string[], value: Json): [Expected, ThingState] {
  if (!ev.unrestricted('thing', path, ['WRITE'])) return [writeDenied(ev, path), state];
  if (featureMissing(state, path)) return [error(404, 'things:feature.notfound'), state];
  const created = getAt(state, path) === undefined;
  const next = setAt(state, path, value);
  if (!created) return [{ status: 204 }, next];
  const body = ev.view('thing', path, value);
  return [body === undefined ? { status: 201 } : { status: 201, body }, next];
}

export function expectThingPatch(state: ThingState, ev: Evaluator, path: readonly string[], patch: Json): [Expected, ThingState] {
  const touched = touchedPaths(patch).map((p) => [...path, ...p]);
  if (!touched.every((p) => ev.unrestricted('thing', p, ['WRITE']))) return [writeDenied(ev, path), state];
  const merged = mergePatch(getAt(state, path), patch);
  return [{ status: 204 }, merged === null ? deleteAt(state, path) : setAt(state, path, merged)];
}

export function expectThingDelete(state: ThingState, ev: Evaluator, path: readonly string[]): [Expected, ThingState] {
  if (!ev.unrestricted('thing', path, ['WRITE'])) return [writeDenied(ev, path), state];
  if (featureMissing(state, path)) return [error(404, 'things:feature.notfound'), state];
  if (getAt(state, path) === undefined) return [error(404, notFound(path)), state];
  return [{ status: 204 }, deleteAt(state, path)];
}

export interface PermissionCheck {
  readonly resource: string;
  readonly entityId: string;
  readonly hasPermissions: Perm[];
}

/** Things and messages are checked in the thing's namespace, policies in their own. */
export function expectCheckPermissions(
  checks: Record<string, PermissionCheck>, callers: readonly string[], policies: Policies,
  thing: { readonly id: string; readonly policyId: string; readonly exists: boolean },
): Expected {
  const body: { [k: string]: Json } = {};
  for (const [name, c] of Object.entries(checks)) {
    const colon = c.resource.indexOf(':');
    const type = c.resource.slice(0, colon);
    const path = c.resource.slice(colon + 1).split('/').filter((s) => s !== '');
    let policyId: string | undefined;
    if (type === 'policy') policyId = c.entityId;
    else if (c.entityId === thing.id && thing.exists) policyId = thing.policyId;
    if (policyId === undefined || !policies.has(policyId)) {
      body[name] = false;
      continue;
    }
    const ns = (type === 'policy' ? policyId : c.entityId).split(':')[0] ?? '';
    body[name] = new Evaluator(policyId, policies, ns, callers).unrestricted(type, path, c.hasPermissions);
  }
  return { status: 200, body };
}

/** The JSON the server shows for a stored policy: importable spelled out, imports before entries. */
export function canonicalPolicy(policies: Policies, policyId: string): ThingState {
  const p = policies.get(policyId);
  if (p === undefined) throw new Error(`no policy ${policyId}`);
  const entries = Object.fromEntries(Object.entries(p.entries).map(([l, e]) => [l, { ...e, importable: e.importable ?? 'implicit' } as unknown as Json]));
  return { policyId, ...(p.imports === undefined ? {} : { imports: p.imports as unknown as Json }), entries };
}

/** GET of a whole policy (`label` undefined) or one entry of it. */
export function expectPolicyGet(policies: Policies, policyId: string, label: string | undefined, callers: readonly string[]): Expected {
  if (!policies.has(policyId)) return error(404, 'policies:policy.notfound');
  const ev = new Evaluator(policyId, policies, policyId.split(':')[0] ?? '', callers);
  const path = label === undefined ? [] : ['entries', label];
  const code = label === undefined ? 'policies:policy.notfound' : 'policies:entry.notfound';
  if (!ev.partial('policy', path, ['READ'])) return error(404, code);
  const raw = getAt(canonicalPolicy(policies, policyId), path);
  if (raw === undefined) return error(404, code);
  const view = ev.view('policy', path, raw);
  const readable = isObject(view) ? view : {};
  return { status: 200, body: label === undefined ? { policyId, ...readable } : readable };
}
