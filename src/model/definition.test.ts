import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from './errors/index.ts';
import { isValidDefinitionIdentifier, validateFeatureDefinition, validateThingDefinition } from './definition.ts';

function fails(code: string, value?: string) {
  return (e: unknown): boolean =>
    e instanceof DittoError && e.error === code && e.status === 400 && (value === undefined || e.message.includes(value));
}

// [ditto: basic-thing]
void test('identifiers are ns:name:version or an HTTP(S) URL with a host', () => {
  for (const ok of [
    'org.eclipse.ditto:lamp:1.0.0', 'a:b:c', '_-.:_-.:_-.', 'A1:B2:C3',
    'https://eclipse-ditto.github.io/ditto-examples/wot/models/floor-lamp-1.0.0.tm.jsonld',
    'http://localhost:8080/model', 'HTTPS://example.com',
  ]) assert.equal(isValidDefinitionIdentifier(ok), true, ok);
  for (const bad of [
    '', 'a:b', 'a:b:c:d', 'a::c', 'a:b:c ', 'ä:b:c', 'a/b:c:d', 'ftp://example.com/x', 'http://', 'http:/example.com',
    'https//example.com', 'mailto:a@b.c', 'urn:a:b:c:d',
  ]) assert.equal(isValidDefinitionIdentifier(bad), false, bad);
});

// [ditto: basic-thing]
void test('a thing definition is an identifier string or null', () => {
  assert.equal(validateThingDefinition('a:b:1'), 'a:b:1');
  assert.equal(validateThingDefinition('https://example.com/tm.jsonld'), 'https://example.com/tm.jsonld');
  assert.equal(validateThingDefinition(null), null);
  assert.throws(() => validateThingDefinition('nope'), fails('things:definition.identifier.invalid', 'nope'));
  assert.throws(() => validateThingDefinition(42), fails('things:definition.identifier.invalid', '42'));
  assert.throws(() => validateThingDefinition(['a:b:c']), fails('things:definition.identifier.invalid'));
});

// [ditto: basic-feature]
void test('a feature definition is a non-empty array of identifiers', () => {
  const def = ['a:b:1', 'https://example.com/x'];
  assert.equal(validateFeatureDefinition(def), def);
  assert.deepEqual(validateFeatureDefinition(['a:b:1', 'a:b:1']), ['a:b:1', 'a:b:1']);
  assert.equal(validateFeatureDefinition(null), null);
  assert.throws(() => validateFeatureDefinition([]), fails('things:feature.definition.empty'));
  assert.throws(() => validateFeatureDefinition(['a:b:1', 'bad']), fails('things:definition.identifier.invalid', 'bad'));
  assert.throws(() => validateFeatureDefinition([1]), fails('things:definition.identifier.invalid', '1'));
  assert.throws(() => validateFeatureDefinition('a:b:1'), fails('json.invalid'));
  assert.throws(() => validateFeatureDefinition({}), fails('json.invalid'));
});

const part = fc.string({ unit: fc.constantFrom(...'aZ09_-.'), minLength: 1, maxLength: 6 });

void test('property: every ns:name:version from the alphabet is valid, any other character breaks it', () => {
  fc.assert(fc.property(part, part, part, (a, b, c) => {
    assert.equal(validateThingDefinition(`${a}:${b}:${c}`), `${a}:${b}:${c}`);
  }));
  const other = fc.constantFrom(' ', '/', ':', 'ü', '#', '@');
  fc.assert(fc.property(part, part, part, other, (a, b, c, x) => {
    assert.equal(isValidDefinitionIdentifier(`${a}:${b}${x}:${c}`), false);
  }));
});
