// fast-check arbitraries for the authorization oracle: a thing, the policy it uses (with imports
// of other policies, one of them transitive), and a sequence of requests by several callers that
// read, write, check permissions and, as an administrator, change the policies on the way.

import fc from 'fast-check';
import type { Json, OEntry, Perm } from './evaluator.ts';

/** A check of checkPermissions, against the thing, its policy or entities that do not exist. */
export interface PermissionLike {
  readonly resource: string;
  readonly target: 'thing' | 'unknownThing' | 'policy' | 'unknownPolicy';
  readonly perms: Perm[];
}

export const ADMIN = 'oracle:admin';
const CALLER_SUBJECTS = ['pre:u0', 'pre:u1', 'pre:u2', 'pre:u3'] as const;
const CALLER_SETS: readonly (readonly string[])[] = [['pre:u0'], ['pre:u1'], ['pre:u2'], ['pre:u0', 'pre:u1'], ['pre:u1', 'pre:u2'], ['pre:u3', 'pre:u0'], ['pre:stranger']];
export const THING_NAMESPACES = ['oracle.a', 'oracle.a.b', 'oracle.c'] as const;
const NAMESPACE_PATTERNS = ['oracle.a', 'oracle.a.*', 'oracle.c', 'oracle.p'] as const;
export const MAIN_LABELS = ['E0', 'E1', 'E2', 'E3'] as const;

const THING_KEYS = [
  'thing:/', 'thing:/attributes', 'thing:/attributes/a', 'thing:/attributes/a/x', 'thing:/attributes/b', 'thing:/features',
  'thing:/features/f', 'thing:/features/f/properties', 'thing:/features/f/properties/p', 'thing:/features/f/properties/p/q',
  'thing:/features/g', 'thing:/policyId', 'thing:/thingId', 'thing:/definition',
] as const;
const POLICY_KEYS = ['policy:/', 'policy:/entries', 'policy:/entries/E0', 'policy:/entries/E1', 'policy:/entries/E0/subjects', 'policy:/entries/E1/resources', 'policy:/policyId', 'policy:/imports'] as const;
const MESSAGE_KEYS = ['message:/', 'message:/inbox', 'message:/inbox/messages/hello'] as const;

const perms = fc.subarray<Perm>(['READ', 'WRITE', 'EXECUTE']);
// Grants lean towards READ so that enough requests get past enforcement to compare bodies.
const grants = fc.oneof({ weight: 4, arbitrary: fc.constantFrom<Perm[]>(['READ'], ['READ', 'WRITE'], ['READ', 'WRITE', 'EXECUTE']) }, { weight: 2, arbitrary: perms });
const revokes = fc.oneof({ weight: 3, arbitrary: fc.constant<Perm[]>([]) }, { weight: 1, arbitrary: perms });
const callers = fc.constantFrom(...CALLER_SETS);
const value: fc.Arbitrary<Json> = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('v', ''), fc.constant<Json>({ k: 1 }), fc.constant<Json>([1, 2]), fc.constant<Json>({}));
const resourceKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<string>('thing:/', 'thing:/attributes', 'thing:/features', 'thing:/features/f') },
  { weight: 6, arbitrary: fc.constantFrom<string>(...THING_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom<string>(...POLICY_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom<string>(...MESSAGE_KEYS) },
);

const resources = fc
  .uniqueArray(fc.tuple(resourceKey, grants, revokes), { minLength: 1, maxLength: 5, selector: (t) => t[0] })
  .map((list) => Object.fromEntries(list.map(([k, grant, revoke]) => [k, { grant, revoke }])));

function entry(importable: boolean): fc.Arbitrary<OEntry> {
  return fc.record({
    subjects: fc.subarray([...CALLER_SUBJECTS], { minLength: 1, maxLength: 3 }).chain((ids) =>
      fc.tuple(...ids.map(() => fc.boolean())).map((far) => Object.fromEntries(ids.map((id, i) => [id, far[i] === true ? { type: 't', expiry: '2099-01-01T00:00:00Z' } : { type: 't' }])))),
    resources,
    namespaces: fc.option(fc.subarray([...NAMESPACE_PATTERNS], { minLength: 1, maxLength: 2 }), { freq: 3, nil: undefined }),
    importable: importable ? fc.constantFrom(undefined, 'implicit', 'explicit', 'never') : fc.constant(undefined),
  }, { requiredKeys: ['subjects', 'resources'] }).map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as OEntry);
}

function entries(labels: readonly string[], importable: boolean): fc.Arbitrary<Record<string, OEntry>> {
  return fc.uniqueArray(fc.tuple(fc.constantFrom(...labels), entry(importable)), { minLength: 1, maxLength: 4, selector: (t) => t[0] })
    .map((list) => Object.fromEntries(list));
}

export interface GenImport {
  readonly entries: Record<string, OEntry>;
  /** Labels the importing policy lists (explicit imports). */
  readonly listed: string[] | undefined;
  /** Whether it imports the deeper policy, and whether the main policy resolves that transitively. */
  readonly deeper: 'none' | 'imported' | 'transitive';
}

const LABELS = ['I0', 'I1', 'I2'] as const;
const genImport: fc.Arbitrary<GenImport> = fc.record({
  entries: entries(LABELS, true),
  listed: fc.option(fc.subarray([...LABELS], { minLength: 1 }), { nil: undefined }),
  deeper: fc.constantFrom('none', 'imported', 'transitive'),
});

export type Step =
  | { readonly op: 'get'; readonly callers: readonly string[]; readonly path: string[]; readonly fields?: string }
  | { readonly op: 'put'; readonly callers: readonly string[]; readonly path: string[]; readonly value: Json }
  | { readonly op: 'patch'; readonly callers: readonly string[]; readonly path: string[]; readonly patch: Json }
  | { readonly op: 'delete'; readonly callers: readonly string[]; readonly path: string[] }
  | { readonly op: 'check'; readonly callers: readonly string[]; readonly checks: PermissionLike[] }
  | { readonly op: 'policyGet'; readonly callers: readonly string[]; readonly label?: string }
  | { readonly op: 'setResource'; readonly target: number; readonly label: string; readonly key: string; readonly grant: Perm[]; readonly revoke: Perm[] }
  | { readonly op: 'putEntry'; readonly target: number; readonly label: string; readonly entry: OEntry }
  | { readonly op: 'deleteEntry'; readonly target: number; readonly label: string };

const p = (s: string): string[] => s.split('/').filter((x) => x !== '');
const GET_PATHS = ['', 'attributes', 'attributes/a', 'attributes/a/x', 'attributes/b', 'attributes/c', 'attributes/zz', 'features', 'features/f',
  'features/f/properties', 'features/f/properties/p', 'features/f/properties/p/q', 'features/f/properties/s', 'features/g', 'features/g/properties',
  'features/h', 'features/h/properties/x', 'policyId', 'definition', 'features/f/definition'];
const FIELDS: Readonly<Record<string, readonly string[]>> = {
  '': ['thingId', 'policyId', 'attributes', 'attributes/a', 'attributes/a/x', 'features/f/properties', 'features/g', 'definition'],
  attributes: ['a', 'a/x', 'b', 'zz'],
  features: ['f', 'f/properties/p', 'g'],
};
const PUT_TARGETS: readonly (readonly [string, fc.Arbitrary<Json>])[] = [
  ...['attributes/a/x', 'attributes/new', 'attributes/b', 'features/f/properties/p', 'features/f/properties/p/q', 'features/g/properties/z', 'features/h/properties/x']
    .map((path) => [path, value] as const),
  ['definition', fc.constant('org.oracle:model:1.0')],
  ['attributes', value.map((v) => ({ n: v }))],
  ['features/f', value.map((v) => ({ properties: { p: { q: v } } }))],
];
const PATCHES: readonly (readonly [string, fc.Arbitrary<Json>])[] = [
  ['', value.map((v) => ({ attributes: { a: { x: v } } }))],
  ['', fc.constant({ attributes: { b: null } })],
  ['', value.map((v) => ({ attributes: { z: v }, features: { g: null } }))],
  ['attributes', value.map((v) => ({ a: null, n: v }))],
  ['attributes/a', value.map((v) => ({ x: v, y: null }))],
  ['features/f/properties', value.map((v) => ({ p: { q: null }, t: v }))],
];
const DELETE_PATHS = ['attributes/b', 'attributes/a/x', 'attributes/zz', 'features/f/properties/p/q', 'features/g', 'definition', 'features/h/properties/x', 'attributes', 'features/f/properties'];

const getStep = fc.constantFrom(...GET_PATHS).chain((path) => {
  const fields = FIELDS[path];
  const f = fields === undefined ? fc.constant(undefined) : fc.option(fc.subarray([...fields], { minLength: 1, maxLength: 3 }).map((l) => l.join(',')), { nil: undefined });
  return fc.record({ op: fc.constant('get' as const), callers, path: fc.constant(p(path)), fields: f });
}).map((s): Step => (s.fields === undefined ? { op: s.op, callers: s.callers, path: s.path } : { op: s.op, callers: s.callers, path: s.path, fields: s.fields }));

const check: fc.Arbitrary<PermissionLike> = fc.oneof(
  fc.record({ resource: fc.constantFrom<string>(...THING_KEYS, ...MESSAGE_KEYS), target: fc.constantFrom('thing' as const, 'thing' as const, 'unknownThing' as const), perms: fc.subarray<Perm>(['READ', 'WRITE', 'EXECUTE'], { minLength: 1 }) }),
  fc.record({ resource: fc.constantFrom<string>(...POLICY_KEYS), target: fc.constantFrom('policy' as const, 'unknownPolicy' as const), perms: fc.subarray<Perm>(['READ', 'WRITE', 'EXECUTE'], { minLength: 1 }) }),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: getStep },
  { weight: 3, arbitrary: fc.constantFrom(...PUT_TARGETS).chain(([path, v]) => fc.record({ op: fc.constant('put' as const), callers, path: fc.constant(p(path)), value: v })) },
  { weight: 2, arbitrary: fc.constantFrom(...PATCHES).chain(([path, v]) => fc.record({ op: fc.constant('patch' as const), callers, path: fc.constant(p(path)), patch: v })) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), callers, path: fc.constantFrom(...DELETE_PATHS).map(p) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('check' as const), callers, checks: fc.array(check, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('policyGet' as const), callers, label: fc.option(fc.constantFrom(...MAIN_LABELS), { nil: undefined }) }).map((s): Step => (s.label === undefined ? { op: s.op, callers: s.callers } : { op: s.op, callers: s.callers, label: s.label })) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setResource' as const), target: fc.nat(2), label: fc.constantFrom<string>(...MAIN_LABELS, ...LABELS), key: resourceKey, grant: grants, revoke: revokes }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('putEntry' as const), target: fc.nat(2), label: fc.constantFrom<string>(...MAIN_LABELS, ...LABELS), entry: entry(true) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteEntry' as const), target: fc.nat(2), label: fc.constantFrom<string>(...MAIN_LABELS, ...LABELS) }) },
);

export interface Scenario {
  readonly thingNamespace: string;
  readonly policyInThingNamespace: boolean;
  readonly main: Record<string, OEntry>;
  readonly imports: GenImport[];
  readonly deeper: Record<string, OEntry>;
  readonly steps: Step[];
}

export function scenarios(minSteps: number, maxSteps: number): fc.Arbitrary<Scenario> {
  return fc.record({
    thingNamespace: fc.constantFrom(...THING_NAMESPACES),
    policyInThingNamespace: fc.boolean(),
    main: entries(MAIN_LABELS, false),
    imports: fc.array(genImport, { maxLength: 2 }),
    deeper: entries(LABELS, true),
    steps: fc.array(step, { minLength: minSteps, maxLength: maxSteps }),
  });
}

export const initialThing = (): { [k: string]: Json } => ({
  definition: 'org.oracle:model:0.1',
  attributes: { a: { x: 1, y: 2 }, b: 'B', c: [1, 2] },
  features: { f: { properties: { p: { q: 1, r: 2 }, s: 3 } }, g: { properties: {} } },
});
