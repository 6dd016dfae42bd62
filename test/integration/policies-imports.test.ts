import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Answer, as, errorOf, useTestServer } from '../support/doppel-server.ts';

const api = useTestServer();

const ADMIN = 'pre:admin';
const READER = 'pre:reader';
let n = 0;
const newId = (prefix = 'org.doppel.imp'): string => `${prefix}:p-${++n}`;
const RW = { grant: ['READ', 'WRITE'], revoke: [] };
const R = { grant: ['READ'], revoke: [] };
const admin = { subjects: { [ADMIN]: { type: 't' } }, resources: { 'policy:/': RW, 'thing:/': RW } };
const p = (id: string, rest = ''): string => `/api/2/policies/${id}${rest}`;
const t = (id: string, rest = ''): string => `/api/2/things/${id}${rest}`;

function expectError(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(errorOf(r), code, r.text);
}

async function putPolicy(id: string, body: unknown): Promise<void> {
  const r = await api.call('PUT', p(id), { headers: as(ADMIN), body });
  assert.ok(r.status === 201 || r.status === 204, r.text);
}

/** A template policy whose entries grant READER access, and a thing whose policy imports it. */
async function importing(templateEntries: Record<string, unknown>, importDecl: Record<string, unknown> = {}): Promise<{ template: string; policy: string; thing: string }> {
  const template = newId();
  await putPolicy(template, { entries: { ADMIN: admin, ...templateEntries } });
  const policy = newId();
  await putPolicy(policy, { entries: { ADMIN: admin }, imports: { [template]: importDecl } });
  const thing = newId('org.doppel.thing');
  const r = await api.call('PUT', t(thing), { headers: as(ADMIN), body: { policyId: policy, attributes: { a: 1, b: 2 } } });
  assert.equal(r.status, 201, r.text);
  return { template, policy, thing };
}

const readerEntry = (resources: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ subjects: { [READER]: { type: 'x' } }, resources, ...extra });

describe('imports take effect on things', () => {
  test('an imported entry grants access; a change of the imported policy is seen by the next request', async () => {
    const { template, thing } = await importing({ READ_ATTR: readerEntry({ 'thing:/attributes': R }) });
    assert.deepEqual((await api.call('GET', t(thing), { headers: as(READER) })).json, { thingId: thing, attributes: { a: 1, b: 2 } });
    await api.call('PUT', p(template, '/entries/READ_ATTR/resources/thing:/attributes~b'.replace('~', '/')), { headers: as(ADMIN), body: { grant: [], revoke: ['READ'] } });
    assert.deepEqual((await api.call('GET', t(thing), { headers: as(READER) })).json, { thingId: thing, attributes: { a: 1 } });
    await api.call('DELETE', p(template), { headers: as(ADMIN) });
    expectError(await api.call('GET', t(thing), { headers: as(READER) }), 404, 'things:thing.notfound');
    await putPolicy(template, { entries: { ADMIN: admin, READ_ALL: readerEntry({ 'thing:/': R }) } });
    assert.equal((await api.call('GET', t(thing, '/attributes/b'), { headers: as(READER) })).json, 2);
  });

  test('importable: implicit always, explicit only when listed, never not at all', async () => {
    const entries = {
      IMPLICIT: readerEntry({ 'thing:/attributes/a': R }),
      EXPLICIT: readerEntry({ 'thing:/attributes/b': R }, { importable: 'explicit' }),
      NEVER: readerEntry({ 'thing:/policyId': R }, { importable: 'never' }),
    };
    const plain = await importing(entries);
    assert.deepEqual((await api.call('GET', t(plain.thing), { headers: as(READER) })).json, { thingId: plain.thing, attributes: { a: 1 } });
    const listed = await importing(entries, { entries: ['EXPLICIT', 'NEVER'] });
    assert.deepEqual((await api.call('GET', t(listed.thing), { headers: as(READER) })).json, { thingId: listed.thing, attributes: { a: 1, b: 2 } });
    // Changing the import's entries takes effect at once too.
    assert.equal((await api.call('PUT', p(listed.policy, `/imports/${listed.template}/entries`), { headers: as(ADMIN), body: [] })).status, 204);
    assert.deepEqual((await api.call('GET', t(listed.thing), { headers: as(READER) })).json, { thingId: listed.thing, attributes: { a: 1 } });
  });

  test('transitive imports are resolved only when listed; cycles end', async () => {
    const c = newId();
    await putPolicy(c, { entries: { ADMIN: admin, DEEP: readerEntry({ 'thing:/attributes': R }) } });
    const b = newId();
    await putPolicy(b, { entries: { ADMIN: admin }, imports: { [c]: {} } });
    const direct = newId();
    await putPolicy(direct, { entries: { ADMIN: admin }, imports: { [b]: {} } });
    const through = newId();
    await putPolicy(through, { entries: { ADMIN: admin }, imports: { [b]: { transitiveImports: [c] } } });
    const t1 = newId('org.doppel.thing');
    const t2 = newId('org.doppel.thing');
    await api.call('PUT', t(t1), { headers: as(ADMIN), body: { policyId: direct, attributes: { x: 1 } } });
    await api.call('PUT', t(t2), { headers: as(ADMIN), body: { policyId: through, attributes: { x: 1 } } });
    assert.equal((await api.call('GET', t(t1), { headers: as(READER) })).status, 404);
    assert.deepEqual((await api.call('GET', t(t2), { headers: as(READER) })).json, { thingId: t2, attributes: { x: 1 } });
    // A cycle through transitiveImports (through → b → c → through → b ...) is broken; still answers.
    await putPolicy(c, { entries: { ADMIN: admin, DEEP: readerEntry({ 'thing:/attributes': R }) }, imports: { [through]: { transitiveImports: [b] } } });
    assert.equal((await api.call('GET', t(t2), { headers: as(READER) })).status, 200);
    // A change two levels down is seen at once as well.
    await api.call('DELETE', p(c, '/entries/DEEP'), { headers: as(ADMIN) });
    assert.equal((await api.call('GET', t(t2), { headers: as(READER) })).status, 404);
  });

  test('the resolved view shows imported entries the caller may read, without ETag', async () => {
    const { template, policy } = await importing({ READ_ATTR: readerEntry({ 'thing:/attributes': R }), HIDDEN: readerEntry({ 'thing:/x': R }) });
    await api.call('PUT', p(template, '/entries/ADMIN/resources/policy:/entries/HIDDEN'), { headers: as(ADMIN), body: { grant: [], revoke: ['READ'] } });
    const r = await api.call('GET', p(policy, '?policy-view=resolved'), { headers: as(ADMIN) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('etag'), null);
    assert.deepEqual(Object.keys((r.json as { entries: object }).entries), ['ADMIN', `imported-${template}-ADMIN`, `imported-${template}-READ_ATTR`]);
    const original = await api.call('GET', p(policy), { headers: as(ADMIN) });
    assert.deepEqual(Object.keys((original.json as { entries: object }).entries), ['ADMIN']);
  });

  test('entry references inherit resources; allowedAdditions limits what the referencing entry adds', async () => {
    const template = newId();
    await putPolicy(template, { entries: { ADMIN: admin, ROLE: { subjects: {}, resources: { 'thing:/attributes/a': R }, allowedAdditions: ['subjects'] } } });
    const policy = newId();
    await putPolicy(policy, {
      entries: { ADMIN: admin, MINE: { subjects: { [READER]: { type: 'x' } }, resources: { 'thing:/attributes/b': R }, references: [{ import: template, entry: 'ROLE' }] } },
      imports: { [template]: {} },
    });
    const thing = newId('org.doppel.thing');
    await api.call('PUT', t(thing), { headers: as(ADMIN), body: { policyId: policy, attributes: { a: 1, b: 2 } } });
    // The own resource (b) is stripped: only subjects may be added.
    assert.deepEqual((await api.call('GET', t(thing), { headers: as(READER) })).json, { thingId: thing, attributes: { a: 1 } });
    await api.call('DELETE', p(template, '/entries/ROLE/allowedAdditions'), { headers: as(ADMIN) });
    assert.deepEqual((await api.call('GET', t(thing), { headers: as(READER) })).json, { thingId: thing, attributes: { a: 1, b: 2 } });
    expectError(await api.call('DELETE', p(policy, `/imports/${template}`), { headers: as(ADMIN) }), 409, 'policies:import.referenceconflict');
  });
});

describe('writing imports', () => {
  test('at most 10 imports; never the policy itself', async () => {
    const ids = Array.from({ length: 11 }, () => newId());
    const imports = Object.fromEntries(ids.map((id) => [id, {}]));
    expectError(await api.call('PUT', p(newId()), { headers: as(ADMIN), body: { entries: { ADMIN: admin }, imports } }), 400, 'policies:imports.toolarge');
    const self = newId();
    expectError(await api.call('PUT', p(self), { headers: as(ADMIN), body: { entries: { ADMIN: admin }, imports: { [self]: {} } } }), 400, 'policies:import.invalid');
  });

  test('the writer must be able to read the imported entries', async () => {
    const template = newId();
    await putPolicy(template, { entries: { ADMIN: admin, E: readerEntry({ 'thing:/': R }) } });
    const mine = newId();
    await putPolicy(mine, { entries: { ADMIN: admin, OWN: { subjects: { [READER]: { type: 'x' } }, resources: { 'policy:/': RW } } } });
    expectError(await api.call('PUT', p(mine, `/imports/${template}`), { headers: as(READER), body: {} }), 404, 'policies:policy.notfound');
    expectError(await api.call('PUT', p(mine, '/imports/org.doppel.imp:missing'), { headers: as(ADMIN), body: {} }), 404, 'policies:policy.notfound');
    const ok = await api.call('PUT', p(mine, `/imports/${template}`), { headers: as(ADMIN), body: { entries: ['E'] } });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.json, { entries: ['E'] });
    assert.deepEqual((await api.call('GET', p(mine, `/imports/${template}/entries`), { headers: as(ADMIN) })).json, ['E']);
    assert.deepEqual((await api.call('GET', p(mine, `/imports/${template}/transitiveImports`), { headers: as(ADMIN) })).json, []);
    assert.equal((await api.call('PUT', p(mine, `/imports/${template}/transitiveImports`), { headers: as(ADMIN), body: ['a:b'] })).status, 204);
    expectError(await api.call('PUT', p(mine, `/imports/${template}/transitiveImports`), { headers: as(ADMIN), body: [mine] }), 400, 'policies:import.invalid');
    assert.deepEqual(Object.keys((await api.call('GET', p(mine, '/imports'), { headers: as(ADMIN) })).json as object), [template]);
    assert.equal((await api.call('DELETE', p(mine, '/imports'), { headers: as(ADMIN) })).status, 204);
    assert.deepEqual((await api.call('GET', p(mine, '/imports'), { headers: as(ADMIN) })).json, {});
    expectError(await api.call('GET', p(mine, `/imports/${template}`), { headers: as(ADMIN) }), 404, 'policies:import.notfound');
  });

  test('policies with imports are exempt from lockout prevention', async () => {
    const template = newId();
    await putPolicy(template, { entries: { ADMIN: admin } });
    const id = newId();
    await putPolicy(id, { entries: { ADMIN: admin }, imports: { [template]: {} } });
    // The imported ADMIN entry keeps the admin in charge; the own one may go.
    assert.equal((await api.call('DELETE', p(id, '/entries/ADMIN'), { headers: as(ADMIN) })).status, 204);
    assert.equal((await api.call('GET', p(id), { headers: as(ADMIN) })).status, 200);
  });
});
