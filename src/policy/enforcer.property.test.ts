// The compiled enforcer against a deliberately naive reference: no trie, no bitmasks, no caches,
// just loops over entries and resources applying Ditto's weighting as its documentation and
// CheckPermissionsVisitor describe it. fast-check prints the seed and the shrunk case on failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.ts';
import { compilePolicy, policyToJson, validatePolicyJson } from './index.ts';
import type { Permission, Policy, PolicyEntry, PolicySubject, ResourcePermissions, ResourceType } from './index.ts';

// ---- reference evaluator ----------------------------------------------------------------------

const NOW = Date.parse('2025-01-01T00:00:00Z');

function namespaceApplies(patterns: readonly string[] | undefined, namespace: string): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((p) => (p.endsWith('.*') ? namespace.startsWith(p.slice(0, p.length - 1)) : p === namespace));
}

function subjectAlive(s: PolicySubject): boolean {
  return s.expiry === undefined || Date.parse(s.expiry) >= NOW;
}

/** The resource key split by hand: `thing:/a/b` -> ['thing', ['a', 'b']]. */
function splitKey(key: string): [string, string[]] {
  const [type = '', rest = ''] = key.split(/:(.*)/s);
  return [type, rest.split('/').filter((s) => s !== '')];
}

function startsWith(longer: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= longer.length && prefix.every((s, i) => longer[i] === s);
}

interface Weights { grantAbove: number; revokeAbove: number; grantBelow: boolean; revokeBelow: boolean }

/** Ditto's weights for one permission: the deepest level of a grant/revoke at or above, and below. */
function weigh(policy: Policy, namespace: string, type: string, path: readonly string[], subjects: readonly string[], perm: Permission): Weights {
  const w: Weights = { grantAbove: -1, revokeAbove: -1, grantBelow: false, revokeBelow: false };
  for (const entry of Object.values(policy.entries)) {
    if (!namespaceApplies(entry.namespaces, namespace)) continue;
    const concerned = Object.entries(entry.subjects).some(([id, s]) => subjects.includes(id) && subjectAlive(s));
    if (!concerned) continue;
    for (const [key, rp] of Object.entries(entry.resources)) {
      const [resType, resPath] = splitKey(key);
      if (resType !== type) continue;
      if (startsWith(path, resPath)) {
        if (rp.grant.includes(perm)) w.grantAbove = Math.max(w.grantAbove, resPath.length);
        if (rp.revoke.includes(perm)) w.revokeAbove = Math.max(w.revokeAbove, resPath.length);
      } else if (startsWith(resPath, path)) {
        w.grantBelow ||= rp.grant.includes(perm);
        w.revokeBelow ||= rp.revoke.includes(perm);
      }
    }
  }
  return w;
}

function refUnrestricted(policy: Policy, ns: string, type: string, path: readonly string[], subjects: readonly string[], perms: readonly Permission[]): boolean {
  return perms.every((perm) => {
    const w = weigh(policy, ns, type, path, subjects, perm);
    return w.grantAbove > w.revokeAbove && !w.revokeBelow;
  });
}

function refPartial(policy: Policy, ns: string, type: string, path: readonly string[], subjects: readonly string[], perms: readonly Permission[]): boolean {
  return perms.every((perm) => {
    const w = weigh(policy, ns, type, path, subjects, perm);
    return w.grantBelow || w.grantAbove > w.revokeAbove;
  });
}

/** Ditto's JSON view: flatten to leaves (empty objects are leaves), keep the readable ones, rebuild. */
function refFilter(policy: Policy, ns: string, type: string, base: readonly string[], value: JsonValue, subjects: readonly string[]): JsonValue | undefined {
  const leaves: [string[], JsonValue][] = [];
  const flatten = (rel: string[], v: JsonValue): void => {
    if (isJsonObject(v) && Object.keys(v).length > 0) for (const k of Object.keys(v)) flatten([...rel, k], v[k] as JsonValue);
    else leaves.push([rel, v]);
  };
  flatten([], value);
  let out: JsonValue | undefined;
  for (const [rel, v] of leaves) {
    const w = weigh(policy, ns, type, [...base, ...rel], subjects, 'READ');
    if (w.grantAbove <= w.revokeAbove) continue;
    if (rel.length === 0) return v;
    out ??= {};
    let cur = out as JsonObject;
    for (const k of rel.slice(0, -1)) cur = (cur[k] ??= {}) as JsonObject;
    cur[rel[rel.length - 1] as string] = v;
  }
  return out;
}

// ---- generators -------------------------------------------------------------------------------

const SUBJECTS = ['nginx:a', 'nginx:b', 'group:g', 'jwt:c'];
const SEGMENTS = ['a', 'b', 'c'];
const NAMESPACES = ['com.acme', 'com.acme.x', 'com.acme.x.y', 'org'];
const PATTERNS = ['com.acme', 'com.acme.*', 'com.acme.x.*', 'org', 'org.*'];
const TYPES: ResourceType[] = ['thing', 'thing', 'policy', 'message'];

const permissions = fc.subarray<Permission>(['READ', 'WRITE', 'EXECUTE']);
const path = fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 });
const subjectEntry = fc.record(
  { type: fc.constant('t'), expiry: fc.constantFrom('2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z', '2025-01-01T00:00:00Z') },
  { requiredKeys: ['type'] },
);
const resource: fc.Arbitrary<[string, ResourcePermissions]> = fc.tuple(fc.constantFrom(...TYPES), path, permissions, permissions)
  .map(([type, p, grant, revoke]) => [`${type}:/${p.join('/')}`, { grant, revoke }]);
const entry: fc.Arbitrary<PolicyEntry> = fc.record({
  subjects: fc.dictionary(fc.constantFrom(...SUBJECTS), subjectEntry, { maxKeys: 3, noNullPrototype: true }),
  resources: fc.array(resource, { maxLength: 5 }).map((rs) => Object.fromEntries(rs)),
  namespaces: fc.subarray(PATTERNS, { maxLength: 2 }),
}, { requiredKeys: ['subjects', 'resources'] });
const policy: fc.Arbitrary<Policy> = fc.array(entry, { minLength: 1, maxLength: 5 })
  .map((entries) => ({ policyId: 'com.acme:p', entries: Object.fromEntries(entries.map((e, i) => [`e${i}`, e])) }));

const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
    fc.dictionary(fc.constantFrom(...SEGMENTS, 'd'), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

const request = fc.record({
  type: fc.constantFrom(...TYPES),
  path,
  subjects: fc.subarray([...SUBJECTS, 'nginx:stranger']),
  perms: permissions.filter((p) => p.length > 0),
  namespace: fc.constantFrom(...NAMESPACES),
  value: json,
});

// ---- properties -------------------------------------------------------------------------------

void test('the compiled enforcer agrees with the reference evaluator', () => {
  fc.assert(fc.property(policy, request, (pol, req) => {
    const e = compilePolicy(pol, { namespace: req.namespace, now: () => new Date(NOW) });
    const args = [pol, req.namespace, req.type, req.path, req.subjects, req.perms] as const;
    assert.equal(e.hasUnrestricted(req.type, req.path, req.subjects, req.perms), refUnrestricted(...args), 'hasUnrestricted');
    assert.equal(e.hasPartial(req.type, req.path, req.subjects, req.perms), refPartial(...args), 'hasPartial');
    const view = e.filterReadable(req.type, req.path, req.value, req.subjects);
    assert.deepStrictEqual(view, refFilter(pol, req.namespace, req.type, req.path, req.value, req.subjects), 'filterReadable');
    if (refUnrestricted(pol, req.namespace, req.type, req.path, req.subjects, ['READ'])) assert.equal(view, req.value, 'fast path');
    // Each subject alone, as the event fan-out asks.
    const partial = e.subjectsWithPartial(req.type, req.path, req.perms);
    const unrestricted = e.subjectsWithUnrestricted(req.type, req.path, req.perms);
    for (const s of SUBJECTS) {
      assert.equal(partial.has(s), refPartial(pol, req.namespace, req.type, req.path, [s], req.perms), `partial ${s}`);
      assert.equal(unrestricted.has(s), refUnrestricted(pol, req.namespace, req.type, req.path, [s], req.perms), `unrestricted ${s}`);
    }
  }), { numRuns: 2500 });
});

void test('answers do not depend on cache state, subject order or duplicates', () => {
  fc.assert(fc.property(policy, fc.array(request, { minLength: 2, maxLength: 6 }), (pol, reqs) => {
    const e = compilePolicy(pol, { now: () => new Date(NOW) });
    for (const req of reqs) {
      const shuffled = Object.freeze([...req.subjects].reverse().concat(req.subjects));
      for (const subjects of [req.subjects, shuffled, shuffled]) {
        assert.equal(e.hasPartial(req.type, req.path, subjects, req.perms), refPartial(pol, 'com.acme', req.type, req.path, req.subjects, req.perms));
        assert.equal(e.hasUnrestricted(req.type, req.path, subjects, req.perms), refUnrestricted(pol, 'com.acme', req.type, req.path, req.subjects, req.perms));
      }
    }
  }), { numRuns: 500 });
});

void test('generated policies validate to themselves', () => {
  fc.assert(fc.property(policy, (pol) => {
    const json = JSON.parse(JSON.stringify(pol)) as unknown;
    assert.deepStrictEqual(policyToJson(validatePolicyJson(json, pol.policyId)), json);
  }), { numRuns: 300 });
});
