// THE AUTHORIZATION ORACLE: generated policies (entries, subjects, nested resources, grants and
// revokes, namespaces, imports with importable types and a transitive import) guard a thing; generated
// callers read, write, merge, delete, check permissions and read the policy over real HTTP while an
// administrator changes the policies in between. Every answer (status, error code, body) must equal
// what an independent, naive evaluator of Ditto's rules predicts (test/support/oracle/evaluator.ts).
// fast-check prints the seed and the shrunk scenario on failure; ORACLE_SEED replays one,
// ORACLE_RUNS changes the number of scenarios.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../support/doppel-server.ts';
import { Evaluator, type Json, type OEntry, type OPolicy, type Policies } from '../support/oracle/evaluator.ts';
import { ADMIN, initialThing, scenarios, type Scenario, type Step } from '../support/oracle/scenarios.ts';
import {
  expectCheckPermissions, expectPolicyGet, expectThingDelete, expectThingGet, expectThingPatch, expectThingPut,
  type Expected, type PermissionCheck, type ThingState,
} from '../support/oracle/thing-oracle.ts';

const RUNS = Number(process.env['ORACLE_RUNS'] ?? 400);
const SEED = process.env['ORACLE_SEED'] === undefined ? undefined : Number(process.env['ORACLE_SEED']);
const MIN_CASES = 10_000;

let server: TestServer;
let agent: string;
before(async () => {
  server = await startTestServer();
  agent = server.url;
});
after(() => server.close());

let cases = 0;
const tally = new Map<string, number>();
let scenarioNo = 0;
const RW = { grant: ['READ', 'WRITE'] as const, revoke: [] };
const adminEntry = (): OEntry => ({ subjects: { [ADMIN]: { type: 'admin' } }, resources: { 'thing:/': { ...RW, grant: [...RW.grant] }, 'policy:/': { ...RW, grant: [...RW.grant] } } });

async function send(method: string, path: string, who: readonly string[], body?: Json): Promise<Expected> {
  const headers: Record<string, string> = { 'x-ditto-pre-authenticated': who.join(',') };
  if (body !== undefined) headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  const res = await fetch(agent + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (res.status >= 400) return { status: res.status, error: (JSON.parse(text) as { error: string }).error };
  return text === '' ? { status: res.status } : { status: res.status, body: JSON.parse(text) as Json };
}

const enc = (segments: readonly string[]): string => segments.map(encodeURIComponent).join('/');

interface World {
  readonly thingId: string;
  readonly thingNamespace: string;
  readonly mainId: string;
  readonly importIds: readonly string[];
  readonly policies: Policies;
  thing: ThingState;
}

async function setUp(sc: Scenario): Promise<World> {
  const n = ++scenarioNo;
  const mainId = `${sc.policyInThingNamespace ? sc.thingNamespace : 'oracle.p'}:main-${n}`;
  const importIds = sc.imports.map((_, j) => `oracle.imp:i${j}-${n}`);
  const deeperId = `oracle.imp:d-${n}`;
  const policies: Policies = new Map();
  const put = async (p: OPolicy): Promise<void> => {
    const body = { entries: p.entries, ...(p.imports === undefined ? {} : { imports: p.imports }) } as unknown as Json;
    const r = await send('PUT', `/api/2/policies/${p.policyId}`, [ADMIN], body);
    assert.equal(r.status, 201, `creating ${p.policyId}: ${JSON.stringify(r)}`);
    policies.set(p.policyId, p);
  };
  if (sc.imports.some((i) => i.deeper !== 'none')) await put({ policyId: deeperId, entries: { ADMIN: adminEntry(), ...sc.deeper } });
  await Promise.all(sc.imports.map((imp, j) => put({
    policyId: importIds[j] as string,
    entries: { ADMIN: adminEntry(), ...imp.entries },
    ...(imp.deeper === 'none' ? {} : { imports: { [deeperId]: {} } }),
  })));
  const imports = Object.fromEntries(sc.imports.map((imp, j) => [importIds[j] as string, {
    ...(imp.listed === undefined ? {} : { entries: imp.listed }),
    ...(imp.deeper === 'transitive' ? { transitiveImports: [deeperId] } : {}),
  }]));
  await put({ policyId: mainId, entries: { ADMIN: adminEntry(), ...sc.main }, ...(sc.imports.length === 0 ? {} : { imports }) });
  const thingId = `${sc.thingNamespace}:t-${n}`;
  const thing: ThingState = { thingId, policyId: mainId, ...initialThing() };
  const created = await send('PUT', `/api/2/things/${thingId}`, [ADMIN], { policyId: mainId, ...initialThing() });
  assert.equal(created.status, 201, `creating ${thingId}: ${JSON.stringify(created)}`);
  return { thingId, thingNamespace: sc.thingNamespace, mainId, importIds, policies, thing };
}

const isRead = (s: Step): boolean => s.op === 'get' || s.op === 'check' || s.op === 'policyGet';

function targetPolicy(w: World, target: number): OPolicy {
  const id = target === 0 || target > w.importIds.length ? w.mainId : (w.importIds[target - 1] as string);
  return w.policies.get(id) as OPolicy;
}

/** Sends one step and returns what came back with what the oracle predicts; applies writes to the world. */
async function run(w: World, s: Step): Promise<[Expected, Expected]> {
  const thingUrl = (path: readonly string[]): string => `/api/2/things/${w.thingId}${path.length === 0 ? '' : '/' + enc(path)}`;
  switch (s.op) {
    case 'get': {
      const ev = new Evaluator(w.mainId, w.policies, w.thingNamespace, s.callers);
      const expected = expectThingGet(w.thing, ev, s.path, s.fields);
      return [await send('GET', thingUrl(s.path) + (s.fields === undefined ? '' : `?fields=${encodeURIComponent(s.fields)}`), s.callers), expected];
    }
    case 'put':
    case 'patch':
    case 'delete': {
      const ev = new Evaluator(w.mainId, w.policies, w.thingNamespace, s.callers);
      const [expected, next] = s.op === 'put' ? expectThingPut(w.thing, ev, s.path, s.value)
        : s.op === 'patch' ? expectThingPatch(w.thing, ev, s.path, s.patch) : expectThingDelete(w.thing, ev, s.path);
      const method = s.op === 'put' ? 'PUT' : s.op === 'patch' ? 'PATCH' : 'DELETE';
      const observed = await send(method, thingUrl(s.path), s.callers, s.op === 'put' ? s.value : s.op === 'patch' ? s.patch : undefined);
      w.thing = next;
      return [observed, expected];
    }
    case 'check': {
      const checks: Record<string, PermissionCheck> = Object.fromEntries(s.checks.map((c, i) => [`c${i}`, {
        resource: c.resource,
        entityId: c.target === 'thing' ? w.thingId : c.target === 'policy' ? w.mainId : c.target === 'unknownThing' ? `${w.thingNamespace}:nothing` : 'oracle.p:nothing',
        hasPermissions: c.perms,
      }]));
      const expected = expectCheckPermissions(checks, s.callers, w.policies, { id: w.thingId, policyId: w.mainId, exists: true });
      return [await send('POST', '/api/2/checkPermissions', s.callers, checks as unknown as Json), expected];
    }
    case 'policyGet': {
      const expected = expectPolicyGet(w.policies, w.mainId, s.label, s.callers);
      return [await send('GET', `/api/2/policies/${w.mainId}${s.label === undefined ? '' : `/entries/${s.label}`}`, s.callers), expected];
    }
    case 'setResource': {
      const policy = targetPolicy(w, s.target);
      const entry = policy.entries[s.label];
      const body = { grant: s.grant, revoke: s.revoke };
      let expected: Expected = { status: 404, error: 'policies:entry.notfound' };
      if (entry !== undefined) {
        expected = entry.resources[s.key] === undefined ? { status: 201, body } : { status: 204 };
        policy.entries = { ...policy.entries, [s.label]: { ...entry, resources: { ...entry.resources, [s.key]: body } } };
      }
      return [await send('PUT', `/api/2/policies/${policy.policyId}/entries/${s.label}/resources/${s.key}`, [ADMIN], body), expected];
    }
    case 'putEntry': {
      const policy = targetPolicy(w, s.target);
      const expected: Expected = policy.entries[s.label] === undefined ? { status: 201, body: { ...s.entry, importable: s.entry.importable ?? 'implicit' } as unknown as Json } : { status: 204 };
      policy.entries = { ...policy.entries, [s.label]: s.entry };
      return [await send('PUT', `/api/2/policies/${policy.policyId}/entries/${s.label}`, [ADMIN], s.entry as unknown as Json), expected];
    }
    case 'deleteEntry': {
      const policy = targetPolicy(w, s.target);
      const expected: Expected = policy.entries[s.label] === undefined ? { status: 404, error: 'policies:entry.notfound' } : { status: 204 };
      const { [s.label]: _gone, ...rest } = policy.entries;
      policy.entries = rest;
      return [await send('DELETE', `/api/2/policies/${policy.policyId}/entries/${s.label}`, [ADMIN]), expected];
    }
  }
}

function explain(w: World, s: Step): string {
  return JSON.stringify({ step: s, thing: w.thingId, policies: Object.fromEntries(w.policies), state: w.thing });
}

async function runScenario(sc: Scenario): Promise<void> {
  const w = await setUp(sc);
  let i = 0;
  while (i < sc.steps.length) {
    // Reads between two writes run concurrently; writes one at a time, in order.
    const batch: Step[] = [];
    while (i < sc.steps.length && (batch.length === 0 || (isRead(sc.steps[i] as Step) && isRead(batch[0] as Step)))) {
      batch.push(sc.steps[i] as Step);
      i++;
      if (!isRead(batch[0] as Step)) break;
    }
    const outcomes = await Promise.all(batch.map((s) => run(w, s)));
    outcomes.forEach(([observed, expected], j) => {
      cases++;
      const key = `${(batch[j] as Step).op} ${observed.status}${process.env["ORACLE_DEBUG"] ? " " + (observed.error ?? "") : ""}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      assert.deepStrictEqual(observed, expected, explain(w, batch[j] as Step));
    });
  }
}

test('the server answers every generated request exactly as the authorization oracle predicts', { timeout: 600_000 }, async () => {
  const started = Date.now();
  await fc.assert(fc.asyncProperty(scenarios(24, 36), runScenario), { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) });
  const seconds = (Date.now() - started) / 1000;
  console.log(`# oracle outcomes: ${[...tally].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`# oracle: ${cases} requests in ${scenarioNo} scenarios agreed with the oracle in ${seconds.toFixed(1)} s`);
  if (process.env['ORACLE_RUNS'] === undefined) assert.ok(cases >= MIN_CASES, `only ${cases} cases ran`);
});
