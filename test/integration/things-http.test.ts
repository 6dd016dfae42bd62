import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { as, errorOf, useTestServer } from '../support/doppel-server.ts';

const api = useTestServer();

let n = 0;
const newId = (): string => `org.doppel.test:thing-${++n}`;

describe('creating things', () => {
  test('PUT creates with 201, Location, ETag and the default policy', async () => {
    const id = newId();
    const r = await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { a: 1 } } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('etag'), '"rev:1"');
    assert.equal(r.headers.get('location'), `${api.url}/api/2/things/${id}`);
    assert.deepEqual(r.json, { thingId: id, policyId: id, attributes: { a: 1 } });
    const p = await api.call('GET', `/api/2/things/${id}?fields=_policy`);
    const policy = (p.json as { _policy: { entries: Record<string, { subjects: Record<string, unknown> }> } })._policy;
    assert.deepEqual(Object.keys(policy.entries), ['DEFAULT']);
    assert.deepEqual(Object.keys(policy.entries['DEFAULT']?.subjects ?? {}), ['nginx:ditto']);
  });

  test('POST generates an ID in the default or given namespace', async () => {
    const r = await api.call('POST', '/api/2/things', { body: {} });
    assert.equal(r.status, 201);
    const id = (r.json as { thingId: string }).thingId;
    assert.match(id, /^org\.eclipse\.ditto:[0-9a-f-]{36}$/);
    assert.equal(r.headers.get('location'), `${api.url}/api/2/things/${id}`);
    const ns = await api.call('POST', '/api/2/things?namespace=my.ns', { body: { attributes: { x: true } } });
    assert.match((ns.json as { thingId: string }).thingId, /^my\.ns:/);
    const withId = await api.call('POST', '/api/2/things', { body: { thingId: 'a:b' } });
    assert.equal(withId.status, 400);
    assert.equal(errorOf(withId), 'things:id.notsettable');
  });

  test('an empty namespace gets the default namespace on creation', async () => {
    const r = await api.call('PUT', '/api/2/things/:no-namespace', { body: {} });
    assert.equal(r.status, 201);
    assert.equal((r.json as { thingId: string }).thingId, 'org.eclipse.ditto:no-namespace');
  });

  test('a second thing cannot take over an existing default policy', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    await api.call('DELETE', `/api/2/things/${id}`);
    const again = await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    assert.equal(again.status, 400);
    assert.equal(errorOf(again), 'things:thing.notcreatable');
    const reuse = await api.call('PUT', `/api/2/things/${id}`, { body: { policyId: id } });
    assert.equal(reuse.status, 201);
    assert.equal(reuse.headers.get('etag'), '"rev:3"');
  });

  test('a policyId that does not exist is refused', async () => {
    const r = await api.call('PUT', `/api/2/things/${newId()}`, { body: { policyId: 'org.doppel:missing' } });
    assert.equal(r.status, 404);
    assert.equal(errorOf(r), 'policies:policy.notfound');
  });
});

describe('the thing tree', () => {
  test('PUT replaces (204), GET returns regular fields only, special fields on request', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { a: 1 } } });
    const r = await api.call('PUT', `/api/2/things/${id}`, { body: { definition: 'a:b:1', attributes: { b: 2 } } });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('etag'), '"rev:2"');
    const g = await api.call('GET', `/api/2/things/${id}`);
    assert.deepEqual(g.json, { thingId: id, policyId: id, definition: 'a:b:1', attributes: { b: 2 } });
    const f = await api.call('GET', `/api/2/things/${id}?fields=thingId,_revision,_namespace,_created,_modified,attributes/b`);
    const v = f.json as Record<string, unknown>;
    assert.equal(v['_revision'], 2);
    assert.equal(v['_namespace'], 'org.doppel.test');
    assert.match(String(v['_created']), /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(v['attributes'], { b: 2 });
  });

  test('attributes: 201 on create with the value, 204 on change, 404 after delete', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    const c = await api.call('PUT', `/api/2/things/${id}/attributes/loc/lat`, { body: 47.1 });
    assert.equal(c.status, 201);
    assert.equal(c.json, 47.1);
    assert.match(c.headers.get('etag') ?? '', /^"hash:[0-9a-f]+"$/);
    assert.equal((await api.call('PUT', `/api/2/things/${id}/attributes/loc/lat`, { body: 48 })).status, 204);
    assert.deepEqual((await api.call('GET', `/api/2/things/${id}/attributes`)).json, { loc: { lat: 48 } });
    assert.equal((await api.call('GET', `/api/2/things/${id}/attributes/loc/lat`)).json, 48);
    assert.equal((await api.call('DELETE', `/api/2/things/${id}/attributes/loc/lat`)).status, 204);
    const gone = await api.call('GET', `/api/2/things/${id}/attributes/loc/lat`);
    assert.equal(gone.status, 404);
    assert.equal(errorOf(gone), 'things:attribute.notfound');
    const del = await api.call('DELETE', `/api/2/things/${id}/attributes/nope`);
    assert.equal(errorOf(del), 'things:attribute.notfound');
  });

  test('features, properties, desired properties and definitions', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    assert.equal((await api.call('PUT', `/api/2/things/${id}/features/lamp`, { body: { properties: { on: false } } })).status, 201);
    assert.equal((await api.call('PUT', `/api/2/things/${id}/features/lamp/properties/on`, { body: true })).status, 204);
    assert.equal((await api.call('PUT', `/api/2/things/${id}/features/lamp/desiredProperties/on`, { body: false })).status, 201);
    assert.equal((await api.call('PUT', `/api/2/things/${id}/features/lamp/definition`, { body: ['org.x:lamp:1.0'] })).status, 201);
    const f = await api.call('GET', `/api/2/things/${id}/features/lamp`);
    assert.deepEqual(f.json, { definition: ['org.x:lamp:1.0'], properties: { on: true }, desiredProperties: { on: false } });
    const empty = await api.call('PUT', `/api/2/things/${id}/features/lamp/definition`, { body: [] });
    assert.equal(errorOf(empty), 'things:feature.definition.empty');
    const bad = await api.call('PUT', `/api/2/things/${id}/features/lamp/definition`, { body: ['not a definition'] });
    assert.equal(errorOf(bad), 'things:definition.identifier.invalid');
    const missing = await api.call('PUT', `/api/2/things/${id}/features/ghost/properties/x`, { body: 1 });
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing), 'things:feature.notfound');
    assert.equal(errorOf(await api.call('GET', `/api/2/things/${id}/features/lamp/properties/nope`)), 'things:feature.property.notfound');
    assert.equal((await api.call('POST', `/api/2/things/${id}/features`, { body: {} })).status, 405);
    assert.deepEqual((await api.call('GET', `/api/2/things/${id}/features?fields=lamp/properties`)).json, { lamp: { properties: { on: true } } });
    assert.equal((await api.call('DELETE', `/api/2/things/${id}/features/lamp/desiredProperties`)).status, 204);
    assert.equal((await api.call('DELETE', `/api/2/things/${id}/features`)).status, 204);
    assert.equal(errorOf(await api.call('GET', `/api/2/things/${id}/features`)), 'things:features.notfound');
  });

  test('policyId and definition', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    const p = await api.call('GET', `/api/2/things/${id}/policyId`);
    assert.equal(p.json, id);
    assert.equal((await api.call('DELETE', `/api/2/things/${id}/policyId`)).status, 405);
    assert.equal((await api.call('PUT', `/api/2/things/${id}/definition`, { body: 'org.x:t:1' })).status, 201);
    assert.equal((await api.call('GET', `/api/2/things/${id}/definition`)).json, 'org.x:t:1');
    assert.equal(errorOf(await api.call('PUT', `/api/2/things/${id}/definition`, { body: 'nope' })), 'things:definition.identifier.invalid');
    assert.equal((await api.call('DELETE', `/api/2/things/${id}/definition`)).status, 204);
    assert.equal(errorOf(await api.call('GET', `/api/2/things/${id}/definition`)), 'things:definition.notfound');
  });

  test('DELETE removes the thing but keeps its policy', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    assert.equal((await api.call('DELETE', `/api/2/things/${id}`)).status, 204);
    assert.equal(errorOf(await api.call('GET', `/api/2/things/${id}`)), 'things:thing.notfound');
    assert.equal(errorOf(await api.call('DELETE', `/api/2/things/${id}`)), 'things:thing.notfound');
    assert.equal(errorOf(await api.call('PUT', `/api/2/things/${id}/attributes/a`, { body: 1 })), 'things:thing.notfound');
  });

  test('GET with ids keeps the order and leaves out unknown things', async () => {
    const a = newId();
    const b = newId();
    await api.call('PUT', `/api/2/things/${a}`, { body: {} });
    await api.call('PUT', `/api/2/things/${b}`, { body: {} });
    const r = await api.call('GET', `/api/2/things?ids=${b},org.doppel:unknown,${a}&fields=thingId`);
    assert.deepEqual(r.json, [{ thingId: b }, { thingId: a }]);
    assert.equal(errorOf(await api.call('GET', '/api/2/things?ids=')), 'things:things.ids.missing');
  });
});

describe('merge', () => {
  test('merge patch adds, replaces and deletes with null', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { a: 1, b: 2 } } });
    const r = await api.call('PATCH', `/api/2/things/${id}`, { body: { attributes: { a: null, c: { d: 3 } } } });
    assert.equal(r.status, 204);
    assert.deepEqual((await api.call('GET', `/api/2/things/${id}/attributes`)).json, { b: 2, c: { d: 3 } });
    assert.equal((await api.call('PATCH', `/api/2/things/${id}/attributes/c`, { body: { e: 4 } })).status, 204);
    assert.deepEqual((await api.call('GET', `/api/2/things/${id}/attributes/c`)).json, { d: 3, e: 4 });
  });

  test('merge needs merge-patch+json and a real patch', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    const wrong = await api.call('PATCH', `/api/2/things/${id}`, { body: { attributes: {} }, headers: { 'content-type': 'application/json' } });
    assert.equal(wrong.status, 415);
    assert.equal(errorOf(wrong), 'mediatype.unsupported');
    assert.equal(errorOf(await api.call('PATCH', `/api/2/things/${id}`, { body: {} })), 'things:merge.invalid');
    assert.equal(errorOf(await api.call('PATCH', `/api/2/things/${id}`, { raw: 'null', headers: { 'content-type': 'application/merge-patch+json' } })), 'things:merge.invalid');
    assert.equal(errorOf(await api.call('PATCH', `/api/2/things/${id}`, { body: { thingId: null } })), 'things:id.notdeletable');
    assert.equal(errorOf(await api.call('PATCH', `/api/2/things/${id}`, { body: { policyId: null } })), 'things:policyId.notdeletable');
  });

  test('merge creates a missing thing at the root only', async () => {
    const id = newId();
    const r = await api.call('PATCH', `/api/2/things/${id}`, { body: { attributes: { a: 1, gone: null } } });
    assert.equal(r.status, 201);
    assert.deepEqual((await api.call('GET', `/api/2/things/${id}/attributes`)).json, { a: 1 });
    const sub = await api.call('PATCH', `/api/2/things/${newId()}/attributes`, { body: { a: 1 } });
    assert.equal(sub.status, 404);
    assert.equal(errorOf(sub), 'things:thing.notfound');
  });
});

describe('conditional requests', () => {
  test('If-Match and If-None-Match', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { a: 1 } } });
    const stale = await api.call('PUT', `/api/2/things/${id}/attributes/a`, { body: 2, headers: { 'if-match': '"rev:7"' } });
    assert.equal(stale.status, 412);
    assert.equal(errorOf(stale), 'things:precondition.failed');
    const ok = await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { a: 2 } }, headers: { 'if-match': '"rev:1"' } });
    assert.equal(ok.status, 204);
    const createOnly = await api.call('PUT', `/api/2/things/${id}`, { body: {}, headers: { 'if-none-match': '*' } });
    assert.equal(createOnly.status, 412);
    assert.equal(createOnly.headers.get('etag'), '"rev:2"');
    const notModified = await api.call('GET', `/api/2/things/${id}`, { headers: { 'if-none-match': '"rev:2"' } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.text, '');
    assert.equal(notModified.headers.get('etag'), '"rev:2"');
    const attr = await api.call('GET', `/api/2/things/${id}/attributes/a`);
    const tag = attr.headers.get('etag') ?? '';
    assert.equal((await api.call('GET', `/api/2/things/${id}/attributes/a`, { headers: { 'if-none-match': tag } })).status, 304);
    assert.equal((await api.call('PUT', `/api/2/things/${id}/attributes/new`, { body: 1, headers: { 'if-match': '*' } })).status, 412);
  });

  test('condition and if-equal', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { n: 5 } } });
    const no = await api.call('PUT', `/api/2/things/${id}/attributes/n?condition=${encodeURIComponent('gt(attributes/n,10)')}`, { body: 1 });
    assert.equal(no.status, 412);
    assert.equal(errorOf(no), 'things:condition.failed');
    const yes = await api.call('PUT', `/api/2/things/${id}/attributes/n`, { body: 1, headers: { condition: 'lt(attributes/n,10)' } });
    assert.equal(yes.status, 204);
    const bad = await api.call('GET', `/api/2/things/${id}?condition=${encodeURIComponent('eq(attributes/n')}`);
    assert.equal(errorOf(bad), 'things:condition.invalid');
    const skip = await api.call('PUT', `/api/2/things/${id}/attributes/n`, { body: 1, headers: { 'if-equal': 'skip' } });
    assert.equal(skip.status, 412);
    const invalid = await api.call('PUT', `/api/2/things/${id}/attributes/n`, { body: 1, headers: { 'if-equal': 'sometimes' } });
    assert.equal(errorOf(invalid), 'header.invalid');
    const rev = await api.call('GET', `/api/2/things/${id}?fields=_revision`);
    assert.deepEqual(rev.json, { _revision: 2 });
  });
});

describe('bad input', () => {
  test('invalid IDs, keys, JSON and media types', async () => {
    assert.equal(errorOf(await api.call('PUT', '/api/2/things/no-colon', { body: {} })), 'things:id.invalid');
    assert.equal(errorOf(await api.call('PUT', '/api/2/things/1bad:x', { body: {} })), 'things:id.invalid');
    assert.equal(errorOf(await api.call('PUT', `/api/2/things/${newId()}`, { raw: '{"attributes":', headers: { 'content-type': 'application/json' } })), 'json.invalid');
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const d = await api.call('PUT', `/api/2/things/${newId()}/attributes/x`, { raw: deep, headers: { 'content-type': 'application/json' } });
    assert.equal(d.status, 400);
    const key = await api.call('PUT', `/api/2/things/${newId()}`, { body: { attributes: { 'bad\u0001key': 1 } } });
    assert.equal(errorOf(key), 'json.key.invalid');
    const media = await api.call('PUT', `/api/2/things/${newId()}`, { raw: '{}', headers: { 'content-type': 'text/plain' } });
    assert.equal(media.status, 415);
    assert.equal(errorOf(media), 'mediatype.unsupported');
    assert.equal((await api.call('PUT', `/api/2/things/${newId()}`, { raw: '{}' })).status, 201);
  });

  test('a __proto__ key is stored as an ordinary attribute', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { raw: '{"attributes":{"__proto__":{"admin":true}}}', headers: { 'content-type': 'application/json' } });
    await api.call('PUT', `/api/2/things/${id}/attributes/__proto__/other`, { body: 1 });
    const r = await api.call('GET', `/api/2/things/${id}/attributes`);
    assert.equal(r.text, '{"__proto__":{"admin":true,"other":1}}');
  });

  test('things over 100 kB are refused and nothing changes', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: { attributes: { a: 1 } } });
    const big = await api.call('PUT', `/api/2/things/${id}/attributes/big`, { body: 'x'.repeat(110_000) });
    assert.equal(big.status, 413);
    assert.equal(errorOf(big), 'things:thing.toolarge');
    assert.deepEqual((await api.call('GET', `/api/2/things/${id}/attributes`)).json, { a: 1 });
  });

  test('headers over 5 kB answer 431, bad timeouts 400', async () => {
    const r = await api.call('GET', `/api/2/things/${newId()}`, { headers: { 'x-correlation-id': 'c'.repeat(6000) } });
    assert.equal(r.status, 431);
    assert.equal(errorOf(r), 'headers.too.large');
    const t = await api.call('GET', `/api/2/things/${newId()}?timeout=61s`);
    assert.equal(errorOf(t), 'gateway:timeout.invalid');
    // [ditto: protocol-twinlive] the live channel of a thing that does not exist: nothing to route to.
    assert.equal(errorOf(await api.call('GET', `/api/2/things/${newId()}?channel=live`)), 'things:thing.notfound');
    assert.equal(errorOf(await api.call('GET', `/api/2/things/${newId()}?channel=radio`)), 'header.invalid');
  });

  test('unknown paths and methods, other API versions, double slashes', async () => {
    const unknown = await api.call('GET', '/api/2/nothing');
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type') ?? '', /text\/plain/);
    const v1 = await api.call('GET', '/api/1/things/a:b');
    assert.equal(v1.status, 404);
    assert.equal(errorOf(v1), 'api.version.notsupported');
    assert.equal((await api.call('GET', '/api/2/things//a:b')).status, 404);
    assert.equal((await api.call('DELETE', '/api/2/things')).status, 405);
  });

  test('authentication is required and failures are Ditto errors', async () => {
    const r = await fetch(`${api.url}/api/2/things/a:b`);
    assert.equal(r.status, 401);
    const body = (await r.json()) as { error: string; status: number };
    assert.equal(body.error, 'gateway:authentication.failed');
    assert.equal(body.status, 401);
    const wrong = await api.call('GET', '/api/2/whoami', { headers: { authorization: `Basic ${Buffer.from('ditto:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
  });
});

describe('headers', () => {
  test('correlation-id is echoed or generated; unknown headers are not echoed', async () => {
    const r = await api.call('GET', '/api/2/whoami', { headers: { 'correlation-id': 'my-id', referer: 'x', 'x-custom': 'y' } });
    assert.equal(r.headers.get('correlation-id'), 'my-id');
    assert.equal(r.headers.get('x-custom'), null);
    assert.equal(r.headers.get('referer'), null);
    const x = await api.call('GET', '/api/2/whoami', { headers: { 'x-correlation-id': 'x-id' } });
    assert.equal(x.headers.get('correlation-id'), 'x-id');
    const gen = await api.call('GET', '/api/2/whoami');
    assert.match(gen.headers.get('correlation-id') ?? '', /^[0-9a-f-]{36}$/);
    const q = await api.call('GET', '/api/2/whoami?correlation-id=from-query');
    assert.equal(q.headers.get('correlation-id'), 'from-query');
  });

  test('response-required=false answers 202 and the change still happens', async () => {
    const id = newId();
    await api.call('PUT', `/api/2/things/${id}`, { body: {} });
    const r = await api.call('PUT', `/api/2/things/${id}/attributes/x?response-required=false`, { body: 1 });
    assert.equal(r.status, 202);
    assert.equal(r.text, '');
    let value: unknown;
    for (let i = 0; i < 50 && value !== 1; i++) {
      value = (await api.call('GET', `/api/2/things/${id}/attributes/x`)).json;
      if (value !== 1) await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal(value, 1);
  });

  test('whoami', async () => {
    assert.deepEqual((await api.call('GET', '/api/2/whoami')).json, { defaultSubject: 'nginx:ditto', subjects: ['nginx:ditto'] });
    assert.deepEqual((await api.call('GET', '/api/2/whoami', { headers: as('pre:alice, pre:bob') })).json, { defaultSubject: 'pre:alice', subjects: ['pre:alice', 'pre:bob'] });
  });

  test('two x-ditto-pre-authenticated headers are refused', async () => {
    const url = new URL(`${api.url}/api/2/whoami`);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { 'x-ditto-pre-authenticated': ['pre:a', 'pre:b'] } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status.status, 400);
    assert.equal((JSON.parse(status.body) as { error: string }).error, 'gateway:duplicate.header.field');
  });

  test('every committed change is published on the bus, in revision order', async () => {
    const id = newId();
    const seen: Array<{ type: unknown; revision: unknown; path: unknown }> = [];
    const sub = api.server.doppel.bus.subscribe('things.twin.events.>', (m) => {
      if (m.payload['thingId'] === id) seen.push({ type: m.payload['type'], revision: m.payload['revision'], path: m.payload['path'] });
    });
    try {
      await api.call('PUT', `/api/2/things/${id}`, { body: {} });
      await Promise.all([1, 2, 3].map((v) => api.call('PUT', `/api/2/things/${id}/attributes/a`, { body: v })));
      await api.call('PUT', `/api/2/things/${id}/attributes/a`, { body: 1, headers: { 'if-match': '"rev:99"' } });
      await api.call('DELETE', `/api/2/things/${id}`);
    } finally {
      sub.unsubscribe();
    }
    assert.deepEqual(seen.map((e) => e.revision), [1, 2, 3, 4, 5]);
    assert.equal(seen[0]?.type, 'things.events:thingCreated');
    assert.equal(seen[1]?.type, 'things.events:attributeCreated');
    assert.equal(seen[2]?.type, 'things.events:attributeModified');
    assert.deepEqual(seen[4], { type: 'things.events:thingDeleted', revision: 5, path: '/' });
  });

  test('health', async () => {
    const r = await fetch(`${api.url}/health`);
    assert.equal(r.status, 200);
  });
});
