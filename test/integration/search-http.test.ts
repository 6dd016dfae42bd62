import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { as, call, type Answer, type TestServer } from '../support/doppel-server.ts';
import { searchBackends } from '../support/search-backends.ts';

const err = (a: Answer): string => (a.json as { error?: string } | undefined)?.error ?? '';
const ids = (a: Answer): string[] => ((a.json as { items?: { thingId: string }[] }).items ?? []).map((t) => t.thingId);
const form = { 'content-type': 'application/x-www-form-urlencoded' };

for (const backend of await searchBackends()) {
  void describe(`search over HTTP on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let server: TestServer;
    let base: string;
    const ns = 'org.search';
    const get = (q: string, headers: Record<string, string> = {}): Promise<Answer> => call(base, 'GET', `/api/2/search/things?${q}`, { headers });
    const put = async (id: string, body: unknown, headers: Record<string, string> = {}): Promise<void> => {
      const r = await call(base, 'PUT', `/api/2/things/${id}`, { body, headers });
      assert.ok(r.status === 201 || r.status === 204, `${r.status} ${r.text}`);
    };

    before(async () => {
      server = await backend.start();
      base = server.url;
      const things: Record<string, unknown> = {
        a: { attributes: { n: 1, s: 'alpha', b: true, tags: ['red', 'blue'], nul: null, empty: '', list: [{ room: 'k' }] }, features: { lamp: { properties: { on: true, w: 10 } } } },
        b: { attributes: { n: 2, s: 'beta', b: false, tags: ['green'], list: [] }, features: { lamp: { properties: { on: false, w: 20 } }, fan: { properties: { on: true } } } },
        c: { attributes: { n: 3, s: 'Gamma', nested: { x: 'y' } }, definition: 'org.example:sensor:1.0' },
        d: { attributes: { n: '3', s: 'delta' } },
        e: { attributes: { n: 2.5 } },
      };
      for (const [id, body] of Object.entries(things)) await put(`${ns}:${id}`, body);
    });
    after(() => server.close());

    const cases: [string, string[]][] = [
      ['eq(attributes/n,3)', ['c']],
      ['eq(attributes/n,"3")', ['d']],
      ['ne(attributes/n,3)', ['a', 'b', 'd', 'e']],
      ['gt(attributes/n,1)', ['b', 'c', 'e']],
      ['ge(attributes/n,2)', ['b', 'c', 'e']],
      ['lt(attributes/n,2.5)', ['a', 'b']],
      ['le(attributes/n,2.5)', ['a', 'b', 'e']],
      ['gt(attributes/s,"beta")', ['d']],
      ['in(attributes/n,1,3,"3")', ['a', 'c', 'd']],
      ['like(attributes/s,"*ta")', ['b', 'd']],
      ['like(attributes/s,"al?ha")', ['a']],
      ['ilike(attributes/s,"gam*")', ['c']],
      ['exists(attributes/nested/x)', ['c']],
      ['exists(attributes/nul)', ['a']],
      ['empty(attributes/tags)', ['c', 'd', 'e']],
      ['empty(attributes/empty)', ['a', 'b', 'c', 'd', 'e']],
      ['empty(attributes/list)', ['b', 'c', 'd', 'e']],
      ['eq(attributes/b,false)', ['b']],
      ['eq(attributes/nul,null)', ['a']],
      ['eq(attributes/tags,"blue")', ['a']],
      ['eq(attributes/list/room,"k")', ['a']],
      ['and(gt(attributes/n,1),lt(attributes/n,3))', ['b', 'e']],
      ['or(eq(attributes/n,1),eq(attributes/s,"delta"))', ['a', 'd']],
      ['not(eq(attributes/n,2))', ['a', 'c', 'd', 'e']],
      ['not(exists(features/lamp))', ['c', 'd', 'e']],
      ['eq(features/*/properties/on,true)', ['a', 'b']],
      ['eq(features/lamp/properties/on,true)', ['a']],
      ['ne(features/*/properties/on,false)', ['a']],
      ['ne(features/*/properties/on,true)', []],
      ['gt(features/lamp/properties/w,15)', ['b']],
      ['exists(features/fan)', ['b']],
      ['eq(definition,"org.example:sensor:1.0")', ['c']],
      [`eq(thingId,"${ns}:b")`, ['b']],
      // Point lookups (taken from the thing states, not the index) decide like every other search.
      [`and(eq(thingId,"${ns}:b"),eq(attributes/s,"beta"))`, ['b']],
      [`and(eq(attributes/s,"alpha"),eq(thingId,"${ns}:b"))`, []],
      [`eq(thingId,"${ns}:nothing")`, []],
      [`eq(thingId,"not-an-id")`, []],
      [`eq(thingId,"org.other:b")`, []],
      [`like(thingId,"${ns}:?")`, ['a', 'b', 'c', 'd', 'e']],
      [`eq(policyId,"${ns}:a")`, ['a']],
      [`eq(namespace,"${ns}")`, ['a', 'b', 'c', 'd', 'e']],
      ['eq(_revision,1)', ['a', 'b', 'c', 'd', 'e']],
      ['gt(_modified,"2000-01-01")', ['a', 'b', 'c', 'd', 'e']],
      ['lt(_created,time:now)', ['a', 'b', 'c', 'd', 'e']],
      ['not(eq(thingId,"x:y"))', ['a', 'b', 'c', 'd', 'e']],
    ];
    for (const [filter, expected] of cases) {
      test(`filter ${filter}`, async () => {
        const r = await get(`filter=${encodeURIComponent(filter)}&namespaces=${ns}`);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(ids(r), expected.map((x) => `${ns}:${x}`));
        const c = await call(base, 'GET', `/api/2/search/things/count?filter=${encodeURIComponent(filter)}&namespaces=${ns}`);
        assert.equal(c.text, String(expected.length));
      });
    }

    test('sorts, pages with a cursor and with limit', async () => {
      const first = await get(`namespaces=${ns}&option=${encodeURIComponent('sort(-attributes/n,+thingId),size(2)')}`);
      // numbers before strings, descending: strings first.
      assert.deepEqual(ids(first), [`${ns}:d`, `${ns}:c`]);
      const cursor = (first.json as { cursor?: string }).cursor;
      assert.ok(cursor !== undefined);
      assert.equal((first.json as { nextPageOffset?: number }).nextPageOffset, undefined);
      const second = await get(`namespaces=${ns}&option=${encodeURIComponent(`sort(-attributes/n,+thingId),size(2),cursor(${cursor})`)}`);
      assert.deepEqual(ids(second), [`${ns}:e`, `${ns}:b`]);
      const third = await get(`namespaces=${ns}&option=${encodeURIComponent(`sort(-attributes/n,+thingId),size(2),cursor(${(second.json as { cursor: string }).cursor})`)}`);
      assert.deepEqual(ids(third), [`${ns}:a`]);
      assert.equal((third.json as { cursor?: string }).cursor, undefined);
      const limited = await get(`namespaces=${ns}&option=${encodeURIComponent('limit(1,2)')}`);
      assert.deepEqual(limited.json, { items: (limited.json as { items: unknown[] }).items, nextPageOffset: 3 });
      assert.deepEqual(ids(limited), [`${ns}:b`, `${ns}:c`]);
      const last = await get(`namespaces=${ns}&option=${encodeURIComponent('limit(4,2)')}`);
      assert.equal((last.json as { nextPageOffset: number }).nextPageOffset, -1);
      const plain = await get(`namespaces=${ns}`);
      assert.equal((plain.json as { nextPageOffset: number }).nextPageOffset, -1);
      const other = await get(`namespaces=${ns}&filter=exists(thingId)&option=${encodeURIComponent(`sort(-attributes/n,+thingId),cursor(${cursor})`)}`);
      assert.equal(other.status, 400);
      assert.equal(err(other), 'thing-search:search.option.invalid');
    });

    test('rejects invalid options and filters with Ditto error codes', async () => {
      for (const option of ['size(201)', 'limit(0,201)', 'size(0)', 'cursor(abc),limit(0,1)', 'sort(attributes/n)', 'bogus(1)', 'cursor(!!)']) {
        const r = await get(`option=${encodeURIComponent(option)}`);
        assert.equal(r.status, 400, option);
        assert.equal(err(r), 'thing-search:search.option.invalid', option);
      }
      const bad = await get('filter=eq(attributes/n');
      assert.equal(bad.status, 400);
      assert.equal(err(bad), 'rql.expression.invalid');
      const count = await call(base, 'GET', '/api/2/search/things/count?filter=foo(1)');
      assert.equal(err(count), 'rql.expression.invalid');
    });

    test('a point lookup by thing ID: namespaces, fields, limit, READ on the thing, deleted things', async () => {
      const b = `filter=${encodeURIComponent(`eq(thingId,"${ns}:b")`)}`;
      assert.deepEqual(ids(await get(`${b}&namespaces=org.other`)), []);
      assert.deepEqual(ids(await get(`${b}&namespaces=org.other,${ns}`)), [`${ns}:b`]);
      const fields = await get(`${b}&fields=thingId,attributes/s,_revision`);
      assert.deepEqual(fields.json, { items: [{ thingId: `${ns}:b`, attributes: { s: 'beta' }, _revision: 1 }], nextPageOffset: -1 });
      const sized = await get(`${b}&option=${encodeURIComponent('size(1)')}`);
      assert.deepEqual(ids(sized), [`${ns}:b`]);
      assert.equal((sized.json as { cursor?: string }).cursor, undefined, 'nothing follows a point lookup');
      assert.deepEqual(ids(await get(`${b}&option=${encodeURIComponent('limit(1,1)')}`)), []);
      assert.deepEqual(ids(await get(`filter=${encodeURIComponent(`and(eq(thingId,"${ns}:b"),eq(thingId,"${ns}:a"))`)}`)), []);
      // Only attributes/s readable for test:partial: the thing is found by its ID and cut to that.
      await put(`${ns}:partial`, {
        attributes: { s: 'p', secret: 1 },
        _policy: { entries: {
          OWNER: { subjects: { 'nginx:ditto': { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
          PARTIAL: { subjects: { 'test:partial': { type: 't' } }, resources: { 'thing:/attributes/s': { grant: ['READ'], revoke: [] } } },
        } },
      });
      const partial = `filter=${encodeURIComponent(`eq(thingId,"${ns}:partial")`)}`;
      assert.deepEqual((await get(partial, as('test:partial'))).json, { items: [{ thingId: `${ns}:partial`, attributes: { s: 'p' } }], nextPageOffset: -1 });
      assert.deepEqual(ids(await get(`filter=${encodeURIComponent(`and(eq(thingId,"${ns}:partial"),eq(attributes/secret,1))`)}`, as('test:partial'))), []);
      assert.deepEqual(ids(await get(partial, as('test:stranger'))), []);
      assert.equal((await call(base, 'GET', `/api/2/search/things/count?${partial}`, { headers: as('test:stranger') })).text, '0');
      assert.equal((await call(base, 'DELETE', `/api/2/things/${ns}:partial`)).status, 204);
      assert.deepEqual(ids(await get(partial)), []);
    });

    test('namespaces, fields, several filters, POST form', async () => {
      await put('org.other:z', { attributes: { n: 1 } });
      assert.deepEqual(ids(await get('filter=eq(attributes/n,1)&namespaces=org.other')), ['org.other:z']);
      assert.deepEqual(ids(await get(`filter=eq(attributes/n,1)&namespaces=org.other,${ns}`)), ['org.other:z', `${ns}:a`]);
      assert.deepEqual(ids(await get('filter=eq(attributes/n,1)&namespaces=')), []);
      const fields = await get(`filter=eq(attributes/n,1)&namespaces=${ns}&fields=thingId,attributes/s,_revision`);
      assert.deepEqual((fields.json as { items: unknown[] }).items, [{ thingId: `${ns}:a`, attributes: { s: 'alpha' }, _revision: 1 }]);
      assert.deepEqual(ids(await get(`filter=gt(attributes/n,1)&filter=lt(attributes/n,3)&namespaces=${ns}`)), [`${ns}:b`, `${ns}:e`]);
      const posted = await call(base, 'POST', '/api/2/search/things', { headers: form, raw: `filter=${encodeURIComponent('gt(attributes/n,1)')}&namespaces=${ns}&option=${encodeURIComponent('size(1)')}` });
      assert.equal(posted.status, 200, posted.text);
      assert.deepEqual(ids(posted), [`${ns}:b`]);
      const countPost = await call(base, 'POST', '/api/2/search/things/count', { headers: form, raw: `filter=${encodeURIComponent('gt(attributes/n,1)')}&namespaces=${ns}` });
      assert.equal(countPost.json, 3);
      const json = await call(base, 'POST', '/api/2/search/things', { body: { filter: 'x' } });
      assert.equal(json.status, 415);
      assert.equal((await call(base, 'PUT', '/api/2/search/things', { body: {} })).status, 405);
      assert.equal((await call(base, 'GET', '/api/2/search/policies')).status, 404);
    });

    test('a search right after a write sees it', async () => {
      const id = `${ns}.fresh:t`;
      await put(id, { attributes: { v: 1 } });
      assert.deepEqual(ids(await get('filter=eq(attributes/v,1)')), [id]);
      const patch = await call(base, 'PATCH', `/api/2/things/${id}/attributes/v`, { body: 2 });
      assert.equal(patch.status, 204);
      assert.deepEqual(ids(await get('filter=eq(attributes/v,1)')), []);
      assert.deepEqual(ids(await get('filter=eq(attributes/v,2)')), [id]);
      assert.equal((await call(base, 'DELETE', `/api/2/things/${id}`)).status, 204);
      assert.deepEqual(ids(await get('filter=exists(attributes/v)')), []);
    });

    test('GET /things without ids lists readable things page by page with Link headers', async () => {
      const r = await call(base, 'GET', `/api/2/things?namespaces=${ns}&option=size(2)&fields=thingId`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, [{ thingId: `${ns}:a` }, { thingId: `${ns}:b` }]);
      const link = r.headers.get('link') ?? '';
      assert.match(link, /rel="canonical"/);
      const next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
      assert.ok(next !== undefined, link);
      const page2 = await call(base, 'GET', next);
      assert.deepEqual(page2.json, [{ thingId: `${ns}:c` }, { thingId: `${ns}:d` }]);
      assert.equal((await call(base, 'GET', '/api/2/things?ids=')).status, 400);
    });

    test('policy-aware: only readable things and fields; hidden fields never match; count agrees', async () => {
      const owner = 'pre:owner';
      const reader = 'pre:reader';
      const stranger = 'pre:stranger';
      const policy = {
        entries: {
          OWNER: { subjects: { [owner]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] }, 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
          READER: {
            subjects: { [reader]: { type: 't' } },
            resources: { 'thing:/attributes': { grant: ['READ'], revoke: [] }, 'thing:/attributes/secret': { grant: [], revoke: ['READ'] } },
          },
        },
      };
      const pns = 'org.secure';
      for (const i of [1, 2, 3]) await put(`${pns}:t${i}`, { _policy: policy, attributes: { pub: i, secret: i === 2 ? 'x' : 'y' } }, as(owner));
      const q = (f: string, who: string, path = ''): Promise<Answer> =>
        call(base, 'GET', `/api/2/search/things${path}?namespaces=${pns}&filter=${encodeURIComponent(f)}`, { headers: as(who) });
      assert.deepEqual(ids(await q('exists(thingId)', stranger)), []);
      assert.equal((await q('exists(thingId)', stranger, '/count')).json, 0);
      const seen = await q('eq(attributes/pub,2)', reader);
      assert.deepEqual((seen.json as { items: unknown[] }).items, [{ thingId: `${pns}:t2`, attributes: { pub: 2 } }]);
      assert.deepEqual(ids(await q('eq(attributes/secret,"x")', owner)), [`${pns}:t2`]);
      assert.deepEqual(ids(await q('eq(attributes/secret,"x")', reader)), []);
      assert.equal((await q('exists(attributes/secret)', reader, '/count')).json, 0);
      assert.equal((await q('exists(attributes/secret)', owner, '/count')).json, 3);
      // A hidden field is absent for the reader, so its negation matches.
      assert.equal((await q('not(eq(attributes/secret,"x"))', reader, '/count')).json, 3);
      assert.equal((await q('or(eq(attributes/secret,"x"),eq(attributes/pub,3))', reader, '/count')).json, 1);
      // Granting READ to the stranger shows the things at once.
      const grant = await call(base, 'PUT', `/api/2/policies/${pns}:t1/entries/STRANGER`, {
        headers: as(owner),
        body: { subjects: { [stranger]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
      });
      assert.equal(grant.status, 201, grant.text);
      assert.deepEqual(ids(await q('exists(thingId)', stranger)), [`${pns}:t1`]);
      const revoke = await call(base, 'DELETE', `/api/2/policies/${pns}:t1/entries/STRANGER`, { headers: as(owner) });
      assert.equal(revoke.status, 204, revoke.text);
      assert.deepEqual(ids(await q('exists(thingId)', stranger)), []);
    });
  });
}
