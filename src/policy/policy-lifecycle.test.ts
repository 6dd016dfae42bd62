import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import {
  canonicalPolicyJson, compilePolicy, earliestExpiry, expiredSubjects, formatInstant, importedLabel, keepsPolicyManager,
  resolvePolicy, resolveSubjectIdPlaceholders, roundUpExpiry, validatePolicyJson, type Policy, type PolicyLookup,
} from './index.ts';

const RW = { grant: ['READ', 'WRITE'], revoke: [] };
const R = { grant: ['READ'], revoke: [] };
const policy = (id: string, json: Record<string, unknown>): Policy => validatePolicyJson(json, id);
const lookupOf = (...ps: Policy[]): PolicyLookup => (id) => ps.find((p) => p.policyId === id) ?? null;

void test('[ditto: basic-policy expiring-subjects] expiries round up to the granularity, counted within the larger unit', () => {
  const t = (iso: string): number => Date.parse(iso);
  const HOUR = 3_600_000;
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-01T10:20:00Z'), HOUR)), '2030-01-01T11:00:00Z');
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-01T10:00:00Z'), HOUR)), '2030-01-01T10:00:00Z');
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-01T10:00:00.001Z'), HOUR)), '2030-01-01T11:00:00Z');
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-01T10:20:10Z'), 30_000)), '2030-01-01T10:20:30Z');
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-01T10:20:00Z'), 12 * HOUR)), '2030-01-01T12:00:00Z');
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-03T10:00:00Z'), 24 * HOUR)), '2030-01-04T00:00:00Z');
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-03T10:00:00Z'), 15 * 24 * HOUR)), '2030-01-16T00:00:00Z');
  assert.equal(formatInstant(roundUpExpiry(t('2030-01-01T10:20:00.123Z'), 100)), '2030-01-01T10:20:00.200Z');
  assert.equal(roundUpExpiry(t('2030-01-01T10:20:00.123Z'), 0), t('2030-01-01T10:20:00.123Z'));
});

void test('expired subjects and the earliest expiry are found per entry', () => {
  const p = policy('a:p', { entries: {
    A: { subjects: { 'x:1': { type: 't', expiry: '2030-01-01T00:00:00Z' }, 'x:2': { type: 't' } }, resources: {} },
    B: { subjects: { 'x:3': { type: 't', expiry: '2031-01-01T00:00:00Z' } }, resources: {} },
  } });
  assert.equal(earliestExpiry(p), Date.parse('2030-01-01T00:00:00Z'));
  assert.deepEqual(expiredSubjects(p, Date.parse('2030-06-01T00:00:00Z')), [{ label: 'A', subjectId: 'x:1' }]);
  // An expiry is reached once the clock is past it.
  assert.deepEqual(expiredSubjects(p, Date.parse('2030-01-01T00:00:00Z')), []);
});

void test('[ditto: PoliciesValidator] a permanent subject must keep WRITE on policy:/; imports exempt', () => {
  const ok = policy('a:p', { entries: { A: { subjects: { 'x:1': { type: 't' } }, resources: { 'policy:/': RW } } } });
  assert.equal(keepsPolicyManager(ok), true);
  const revoked = policy('a:p', { entries: { A: { subjects: { 'x:1': { type: 't' } }, resources: { 'policy:/': RW } }, B: { subjects: { 'x:1': { type: 't' } }, resources: { 'policy:/': { grant: [], revoke: ['WRITE'] } } } } });
  assert.equal(keepsPolicyManager(revoked), false);
  const expiring = policy('a:p', { entries: { A: { subjects: { 'x:1': { type: 't', expiry: '2099-01-01T00:00:00Z' } }, resources: { 'policy:/': RW } } } });
  assert.equal(keepsPolicyManager(expiring), false);
  const deeper = policy('a:p', { entries: { A: { subjects: { 'x:1': { type: 't' } }, resources: { 'policy:/entries': RW } } } });
  assert.equal(keepsPolicyManager(deeper), false);
  assert.equal(keepsPolicyManager({ ...deeper, imports: { 'a:q': {} } }), true);
  // A local reference can supply the subject.
  const referenced = policy('a:p', { entries: {
    WHO: { subjects: { 'x:1': { type: 't' } }, resources: {} },
    ADMIN: { subjects: {}, resources: { 'policy:/': RW }, references: [{ entry: 'WHO' }] },
  } });
  assert.equal(keepsPolicyManager(referenced), true);
});

void test('[ditto: basic-policy-imports] importable decides what is imported, under imported-<id>-<label>', () => {
  const template = policy('t:p', { entries: {
    IMPL: { subjects: { 'x:1': { type: 't' } }, resources: { 'thing:/a': R } },
    EXPL: { subjects: { 'x:1': { type: 't' } }, resources: { 'thing:/b': R }, importable: 'explicit' },
    NEVER: { subjects: { 'x:1': { type: 't' } }, resources: { 'thing:/c': R }, importable: 'never' },
  } });
  const main = policy('m:p', { entries: {}, imports: { 't:p': { entries: ['EXPL', 'NEVER'] } } });
  const r = resolvePolicy(main, lookupOf(template));
  assert.deepEqual(Object.keys(r.policy.entries), [importedLabel('t:p', 'IMPL'), importedLabel('t:p', 'EXPL')]);
  assert.deepEqual([...r.dependencies], ['t:p']);
  const e = compilePolicy(r.policy, { namespace: 'm' });
  assert.equal(e.hasPartial('thing', ['b'], ['x:1'], ['READ']), true);
  assert.equal(e.hasPartial('thing', ['c'], ['x:1'], ['READ']), false);
  // What the lookup lacks is reported, not guessed.
  const missing = resolvePolicy(main, () => undefined);
  assert.deepEqual([...missing.missing], ['t:p']);
  assert.deepEqual(Object.keys(missing.policy.entries), []);
});

void test('[ditto: basic-policy transitive imports] only listed transitive imports are resolved; cycles end', () => {
  const c = policy('c:p', { entries: { DEEP: { subjects: { 'x:1': { type: 't' } }, resources: { 'thing:/': R } } }, imports: { 'a:p': { transitiveImports: ['b:p'] } } });
  const b = policy('b:p', { entries: {}, imports: { 'c:p': { transitiveImports: ['a:p'] } } });
  const direct = policy('a:p', { entries: {}, imports: { 'b:p': {} } });
  const through = policy('a:p', { entries: {}, imports: { 'b:p': { transitiveImports: ['c:p'] } } });
  assert.deepEqual(Object.keys(resolvePolicy(direct, lookupOf(b, c)).policy.entries), []);
  const resolved = resolvePolicy(through, lookupOf(b, c, through));
  assert.deepEqual(Object.keys(resolved.policy.entries), ['imported-b:p-imported-c:p-DEEP']);
  assert.deepEqual([...resolved.dependencies].sort(), ['a:p', 'b:p', 'c:p']);
});

void test('[ditto: entry references] references merge subjects and resources; allowedAdditions filters own additions', () => {
  const template = policy('t:p', { entries: { ROLE: { subjects: {}, resources: { 'thing:/a': R }, allowedAdditions: ['subjects'] } } });
  const main = policy('m:p', {
    entries: { MINE: { subjects: { 'x:1': { type: 't' } }, resources: { 'thing:/b': R }, references: [{ import: 't:p', entry: 'ROLE' }] } },
    imports: { 't:p': {} },
  });
  const mine = resolvePolicy(main, lookupOf(template)).policy.entries['MINE'];
  assert.deepEqual(Object.keys(mine?.subjects ?? {}), ['x:1']);
  assert.deepEqual(Object.keys(mine?.resources ?? {}), ['thing:/a']);
});

void test('placeholders in subject IDs stand for the requester; others are refused', () => {
  assert.equal(resolveSubjectIdPlaceholders('{{ request:subjectId }}', 'pre:me'), 'pre:me');
  assert.equal(resolveSubjectIdPlaceholders('{{request:subjectId}}', 'pre:me'), 'pre:me');
  assert.equal(resolveSubjectIdPlaceholders('${request.subjectId}', 'pre:me'), 'pre:me');
  assert.equal(resolveSubjectIdPlaceholders('nginx:plain', 'pre:me'), 'nginx:plain');
  for (const bad of ['{{ unknown }}', '${unknown}', '{{ request:subjectId }}x{{ jwt:sub }}']) {
    assert.throws(() => resolveSubjectIdPlaceholders(bad, 'pre:me'), (e: unknown) => e instanceof DittoError && e.error === 'placeholder:placeholder.notresolvable');
  }
});

void test('the canonical JSON spells out importable and puts imports before entries', () => {
  const p = policy('a:p', { entries: { A: { resources: {}, subjects: {}, namespaces: ['a'] } }, imports: { 'b:p': {} } });
  const json = canonicalPolicyJson(p);
  assert.deepEqual(Object.keys(json), ['policyId', 'imports', 'entries']);
  assert.deepEqual(json['entries'], { A: { subjects: {}, resources: {}, namespaces: ['a'], importable: 'implicit' } });
});
