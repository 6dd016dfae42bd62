import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import type { JsonObject } from '../model/json.ts';
import { thingCommand, type ThingCommand } from '../signals/index.ts';
import { envelopeToSignal, signalToEnvelope } from './adapter.ts';
import { envelopeToJson, parseEnvelope } from './envelope.ts';
import {
  retrieveThingsResponseFor,
  thingCommandFromEnvelope,
  thingResponseFor,
  thingResponseFromEnvelope,
  thingResponseToEnvelope,
} from './thing-commands.ts';

const AUTH = { subjects: ['nginx:ditto'] };

function command(topic: string, path: string, extra: JsonObject = {}): ReturnType<typeof thingCommandFromEnvelope> {
  return thingCommandFromEnvelope(parseEnvelope({ topic, headers: { 'correlation-id': 'c' }, path, ...extra }), AUTH);
}

function rejects(fn: () => unknown, code: string, status = 400): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DittoError, String(e));
    assert.equal(e.error, code);
    assert.equal(e.status, status);
    return true;
  });
}

test('[ditto: protocol-specification-things] a command envelope becomes a ThingCommand', () => {
  const cmd = command('org.eclipse.ditto/fancy-thing/things/live/commands/modify', '/features/f/properties/x/y', { value: 42 });
  assert.ok(cmd.kind === 'thing.command');
  assert.equal(cmd.action, 'modify');
  assert.equal(cmd.thingId, 'org.eclipse.ditto:fancy-thing');
  assert.deepEqual(cmd.path, ['features', 'f', 'properties', 'x', 'y']);
  assert.deepEqual(cmd.resource, { kind: 'featureProperty', featureId: 'f', pointer: ['x', 'y'] });
  assert.equal(cmd.channel, 'live');
  assert.equal(cmd.value, 42);
  assert.deepEqual(cmd.headers, { 'correlation-id': 'c' });
  assert.equal(cmd.auth, AUTH);
});

test('retrieve keeps fields; retrieve and delete drop a value they do not use', () => {
  const r = command('ns/t/things/twin/commands/retrieve', '/', { fields: 'thingId,attributes(a)', value: 1 });
  assert.ok(r.kind === 'thing.command');
  assert.equal(r.fields, 'thingId,attributes(a)');
  assert.ok(!('value' in r));
  const d = command('ns/t/things/twin/commands/delete', '/attributes', { value: 1, fields: 'a' });
  assert.ok(!('value' in d) && !('fields' in d));
});

test('merge keeps a null value: it deletes', () => {
  const m = command('ns/t/things/twin/commands/merge', '/attributes/a', { value: null });
  assert.ok(m.kind === 'thing.command' && 'value' in m);
  assert.equal(m.value, null);
});

test('commands Ditto does not have are unknown topics; unknown paths are unknown paths', () => {
  rejects(() => command('ns/t/things/twin/commands/create', '/attributes', { value: {} }), 'protocoladapter:unknown.topicpath');
  rejects(() => command('ns/t/things/twin/commands/delete', '/policyId'), 'protocoladapter:unknown.topicpath');
  rejects(() => command('ns/t/things/twin/commands/migrate', '/', { value: {} }), 'protocoladapter:unknown.topicpath');
  rejects(() => command('ns/t/things/twin/commands/modify', '/_policy', { value: {} }), 'protocoladapter:unknown.path');
  rejects(() => command('ns/t/things/twin/commands/modify', '/features/f/other', { value: {} }), 'protocoladapter:unknown.path');
  rejects(() => command('ns/t/things/twin/commands/modify', '/attributes//a', { value: 1 }), 'json.pointer.invalid');
  rejects(() => command('_/t/things/twin/commands/modify', '/', { value: {} }), 'things:id.invalid');
  rejects(() => command('1ns/t/things/twin/commands/modify', '/', { value: {} }), 'things:id.invalid');
});

test('[ditto: MappingContext] a modifying command without value is 422', () => {
  for (const action of ['create', 'modify', 'merge']) {
    rejects(() => command(`ns/t/things/twin/commands/${action}`, '/'), 'protocoladapter:illegal.adaptable', 422);
  }
});

test('[ditto: RetrieveThings] a wildcard retrieve lists things', () => {
  const sig = command('_/_/things/twin/commands/retrieve', '/', { value: { thingIds: ['a:1', 'b:2'] }, fields: 'thingId' });
  assert.ok(sig.kind === 'things.retrieve');
  assert.deepEqual(sig.thingIds, ['a:1', 'b:2']);
  assert.equal(sig.fields, 'thingId');
  assert.equal(sig.namespace, undefined);
  const inNs = command('ns/_/things/twin/commands/retrieve', '/', { value: { thingIds: ['ns:1'] } });
  assert.ok(inNs.kind === 'things.retrieve');
  assert.equal(inNs.namespace, 'ns');
  rejects(() => command('_/_/things/twin/commands/retrieve', '/'), 'json.invalid');
  rejects(() => command('_/_/things/twin/commands/retrieve', '/', { value: { thingIds: [1] } }), 'json.invalid');
  rejects(() => command('_/_/things/twin/commands/retrieve', '/', { value: { thingIds: ['no-namespace'] } }), 'things:id.invalid');
  rejects(() => command('_/_/things/twin/commands/modify', '/', { value: {} }), 'things:id.invalid');
});

function modifyCmd(path: readonly string[], action: ThingCommand['action'] = 'modify'): ThingCommand {
  const cmd = thingCommand({
    action,
    thingId: 'org.eclipse.ditto:t',
    path,
    channel: 'twin',
    headers: { 'correlation-id': 'c-1', 'if-match': '*', 'x-app': 'mine', 'requested-acks': '["twin-persisted"]' },
    auth: AUTH,
    value: { a: 1 },
  });
  assert.ok(cmd !== undefined);
  return cmd;
}

test('a response keeps the command topic and path, echoes the headers clients may see, adds etag and revision', () => {
  const r = thingResponseFor(modifyCmd(['attributes', 'a']), { status: 201, value: { a: 1 }, headers: { etag: '"rev:3"', 'entity-revision': '3' } });
  assert.deepEqual(envelopeToJson(thingResponseToEnvelope(r)), {
    topic: 'org.eclipse.ditto/t/things/twin/commands/modify',
    headers: { 'correlation-id': 'c-1', 'x-app': 'mine', etag: '"rev:3"', 'entity-revision': 3, 'content-type': 'application/json' },
    path: '/attributes/a',
    value: { a: 1 },
    status: 201,
  });
});

test('[ditto: Modify*Response] 204 has no value, except null for attributes, features and a feature', () => {
  const value = (path: readonly string[], action: ThingCommand['action'] = 'modify', status = 204): unknown =>
    envelopeToJson(thingResponseToEnvelope(thingResponseFor(modifyCmd(path, action), { status, value: { a: 1 }, headers: {} })))['value'];
  assert.equal(value(['attributes', 'a']), undefined);
  assert.equal(value([]), undefined);
  assert.equal(value(['features', 'f', 'properties']), undefined);
  assert.equal(value(['attributes']), null);
  assert.equal(value(['features']), null);
  assert.equal(value(['features', 'f']), null);
  assert.equal(value(['attributes'], 'delete'), undefined);
  // [ditto: MergeThingResponse] merge responses never carry a value, and are merge patches.
  assert.equal(value([], 'merge', 201), undefined);
  const merged = envelopeToJson(thingResponseToEnvelope(thingResponseFor(modifyCmd(['attributes'], 'merge'), { status: 204, headers: {} })));
  assert.equal((merged['headers'] as JsonObject)['content-type'], 'application/merge-patch+json');
});

test('a response envelope becomes a response signal and renders back', () => {
  const env = parseEnvelope({ topic: 'ns/t/things/live/commands/retrieve', headers: { 'correlation-id': 'c' }, path: '/attributes', value: { a: 1 }, status: 200 });
  const r = envelopeToSignal(env, AUTH);
  assert.ok(r?.kind === 'thing.response');
  assert.equal(r.channel, 'live');
  assert.equal(r.status, 200);
  assert.deepEqual(envelopeToJson(signalToEnvelope(r)), { ...envelopeToJson(env), headers: { 'correlation-id': 'c', 'content-type': 'application/json' } });
  rejects(() => thingResponseFromEnvelope(parseEnvelope({ topic: 'ns/t/things/twin/commands/retrieve', path: '/' })), 'protocoladapter:illegal.adaptable', 422);
  rejects(() => thingResponseFromEnvelope(parseEnvelope({ topic: '_/_/things/twin/commands/retrieve', path: '/', status: 200, value: {} })), 'protocoladapter:illegal.adaptable', 422);
});

test('a thing command renders back to its envelope, merges as merge patches', () => {
  const cmd = modifyCmd(['attributes'], 'merge');
  const json = envelopeToJson(signalToEnvelope(cmd));
  assert.equal(json['topic'], 'org.eclipse.ditto/t/things/twin/commands/merge');
  assert.deepEqual(json['headers'], { 'correlation-id': 'c-1', 'x-app': 'mine', 'content-type': 'application/merge-patch+json' });
  assert.deepEqual(json['value'], { a: 1 });
  const back = envelopeToSignal(parseEnvelope(json), AUTH);
  assert.ok(back?.kind === 'thing.command');
  assert.deepEqual(back.path, cmd.path);
  assert.deepEqual(back.value, cmd.value);
});

test('RetrieveThings responses carry the things and the namespace of the request', () => {
  const r = retrieveThingsResponseFor({ thingIds: ['ns:a'], headers: { 'correlation-id': 'c' }, auth: AUTH, namespace: 'ns' }, [{ thingId: 'ns:a' }]);
  assert.deepEqual(envelopeToJson(signalToEnvelope(r)), {
    topic: 'ns/_/things/twin/commands/retrieve',
    headers: { 'correlation-id': 'c', 'content-type': 'application/json' },
    path: '/',
    value: [{ thingId: 'ns:a' }],
    status: 200,
  });
});
