import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNamespaceRoots, rootPoliciesFor } from './namespace-roots.ts';
import { resolvePolicy } from './imports.ts';
import type { Policy } from './types.ts';

test('[ditto: installation-operating namespace-root-policies] exact first, then longer prefixes, then *; never itself', () => {
  const roots = parseNamespaceRoots(JSON.stringify({
    '*': ['g:global'],
    'org.example.*': ['org.example:tenant', 'org.example:shared'],
    'org.example.devices.*': ['d:deep'],
    'org.example.devices': ['org.example.devices:exact', 'org.example:shared'],
  }));
  assert.deepEqual(rootPoliciesFor(roots, 'org.example.devices', 'org.example.devices:p'), ['org.example.devices:exact', 'org.example:shared', 'org.example:tenant', 'g:global']);
  assert.deepEqual(rootPoliciesFor(roots, 'org.example.devices.x', 'org.example.devices.x:p'), ['d:deep', 'org.example:tenant', 'org.example:shared', 'g:global']);
  // `org.example.*` needs a segment below org.example.
  assert.deepEqual(rootPoliciesFor(roots, 'org.example', 'org.example:tenant'), ['g:global']);
  assert.deepEqual(rootPoliciesFor(roots, 'org.example.a', 'org.example:tenant'), ['org.example:shared', 'g:global']);
  assert.deepEqual(rootPoliciesFor(parseNamespaceRoots('{}'), 'x', 'x:y'), []);
});

test('unsupported patterns and bad IDs are refused, every problem named', () => {
  assert.throws(() => parseNamespaceRoots('{"org.*.devices": ["a:b"], "foo*": ["a:b"], "ok": ["no-colon"]}'), (e: Error) =>
    e.message.includes("'org.*.devices'") && e.message.includes("'foo*'") && e.message.includes("'no-colon'"));
  assert.throws(() => parseNamespaceRoots('[]'), /JSON object/);
  assert.throws(() => parseNamespaceRoots('{"a": "a:b"}'), /array of policy IDs/);
  assert.throws(() => parseNamespaceRoots('{'), /not JSON/);
});

test('root entries merge as nsimported-<id>-<label>: implicit ones only, missing roots are waited for or skipped', () => {
  const child: Policy = { policyId: 'a.b:child', entries: { own: { subjects: { 'x:own': { type: 't' } }, resources: {} } } };
  const root: Policy = {
    policyId: 'a:root',
    entries: {
      R: { subjects: { 'x:r': { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
      E: { subjects: { 'x:e': { type: 't' } }, resources: {}, importable: 'explicit' },
      N: { subjects: { 'x:n': { type: 't' } }, resources: {}, importable: 'never' },
    },
  };
  const waiting = resolvePolicy(child, () => undefined, ['a:root']);
  assert.deepEqual([...waiting.missing], ['a:root']);
  const r = resolvePolicy(child, (id) => (id === 'a:root' ? root : null), ['a:root', 'a:gone']);
  assert.deepEqual(Object.keys(r.policy.entries), ['own', 'nsimported-a:root-R']);
  assert.deepEqual([...r.dependencies].sort(), ['a:gone', 'a:root']);
});
