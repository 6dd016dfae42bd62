import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DittoError } from './errors/index.ts';
import {
  isValidEntityId, isValidNamespace, MAX_ID_LENGTH, parsePolicyId, parseThingId, withDefaultNamespace,
} from './ids.ts';

function rejects(code: string) {
  return (e: unknown): boolean => e instanceof DittoError && e.error === code && e.status === 400;
}

// [ditto: basic-namespaces-and-names]
void test('valid IDs split at the first colon', () => {
  assert.deepEqual(parseThingId('org.eclipse.ditto:smart-coffee-1'), { namespace: 'org.eclipse.ditto', name: 'smart-coffee-1', id: 'org.eclipse.ditto:smart-coffee-1' });
  assert.deepEqual(parseThingId('foo:bar:baz'), { namespace: 'foo', name: 'bar:baz', id: 'foo:bar:baz' });
  assert.deepEqual(parseThingId(':my-thing'), { namespace: '', name: 'my-thing', id: ':my-thing' });
  for (const id of ['org.eclipse.ditto_42:smart-coffeee', 'org.eclipse:admin-policy', 'com-acme.x_1:a', 'a:foo%2Fbar', 'a:中文', 'a:€', 'a:b c', 'a:!"$%&()=?`*+~\'#_-:.;,|<>\\{}[]^']) {
    assert.equal(isValidEntityId(id), true, id);
  }
});

// [ditto: basic-namespaces-and-names]
void test('namespace segments start with a letter and are joined by dots or dashes', () => {
  for (const ns of ['', 'a', 'org.eclipse.ditto', 'foo.bar_42', 'a-b', 'a.b-c', 'A9_']) assert.equal(isValidNamespace(ns), true, ns);
  for (const ns of ['1a', '.a', 'a.', 'a..b', 'a.1b', 'a-', '-a', '_a', 'a b', 'ä', 'a:b', 'a/b', 'a.-b']) assert.equal(isValidNamespace(ns), false, ns);
});

// [ditto: basic-namespaces-and-names]
void test('invalid thing IDs are 400 things:id.invalid, policy IDs 400 policies:id.invalid', () => {
  for (const id of ['', 'no-colon', 'a:', 'a:b/c', '1a:b', 'a:ü', 'a:\u007f', 'a:\u0000', 'a:\u00ff', 'a:\n', 'a.:b']) {
    assert.throws(() => parseThingId(id), rejects('things:id.invalid'), JSON.stringify(id));
    assert.throws(() => parsePolicyId(id), rejects('policies:id.invalid'), JSON.stringify(id));
  }
  const e = (() => { try { parseThingId('bad'); } catch (err) { return err; } return undefined; })();
  assert.ok(e instanceof DittoError);
  assert.match(e.message, /'bad'/);
});

// [ditto: basic-namespaces-and-names]
void test('an ID is at most 256 characters long', () => {
  const ok = 'a:' + 'x'.repeat(MAX_ID_LENGTH - 2);
  assert.equal(parseThingId(ok).id, ok);
  assert.throws(() => parseThingId(ok + 'x'), rejects('things:id.invalid'));
  // Characters above U+00FF count once per UTF-16 unit, as in Java.
  assert.equal(isValidEntityId('a:' + '\u{1F600}'.repeat(127)), true);
  assert.equal(isValidEntityId('a:' + '\u{1F600}'.repeat(128)), false);
});

// [ditto: DefaultNamespaceAppender]
void test('an empty namespace gets the default namespace on creation', () => {
  assert.equal(withDefaultNamespace(parseThingId(':my-thing'), 'org.eclipse.ditto').id, 'org.eclipse.ditto:my-thing');
  assert.equal(withDefaultNamespace(parsePolicyId(':p'), 'my.ns', 'policy').namespace, 'my.ns');
  assert.equal(withDefaultNamespace(':t', 'org.eclipse.ditto').id, 'org.eclipse.ditto:t');
  assert.throws(() => withDefaultNamespace('no-colon', 'ns'), rejects('things:id.invalid'));
  const given = parseThingId('x:y');
  assert.equal(withDefaultNamespace(given, 'org.eclipse.ditto'), given);
  const long = parseThingId(':' + 'x'.repeat(MAX_ID_LENGTH - 1));
  assert.throws(() => withDefaultNamespace(long, 'ns'), rejects('things:id.invalid'));
  assert.throws(() => withDefaultNamespace(parsePolicyId(':' + 'x'.repeat(255)), 'ns', 'policy'), rejects('policies:id.invalid'));
});

const letter = fc.constantFrom(...'abcXYZ');
const word = fc.string({ unit: fc.constantFrom(...'aZ09_'), maxLength: 4 });
const segment = fc.tuple(letter, word).map(([l, w]) => l + w);
const namespace = fc.oneof(
  fc.constant(''),
  fc.tuple(segment, fc.array(fc.tuple(fc.constantFrom('.', '-'), segment), { maxLength: 3 }))
    .map(([first, rest]) => first + rest.map(([sep, s]) => sep + s).join('')),
);
const nameChar = fc.oneof(
  fc.constantFrom(...'az09-_:.%~!()*\' '),
  fc.integer({ min: 0x100, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
);
const name = fc.string({ unit: nameChar, minLength: 1, maxLength: 20 });

void test('property: generated valid IDs parse back into their parts', () => {
  fc.assert(fc.property(namespace, name, (ns, n) => {
    const parsed = parseThingId(`${ns}:${n}`);
    assert.equal(parsed.namespace, ns);
    assert.equal(parsed.name, n);
    assert.equal(parsed.id, `${ns}:${n}`);
  }));
});

void test('property: any forbidden character in the name makes the ID invalid', () => {
  const bad = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0xff }), fc.constant(0x2f)).map((c) => String.fromCharCode(c));
  fc.assert(fc.property(namespace, name, bad, fc.nat(), (ns, n, b, at) => {
    const i = at % (n.length + 1);
    assert.equal(isValidEntityId(`${ns}:${n.slice(0, i)}${b}${n.slice(i)}`), false);
  }));
});

void test('property: parsing never throws anything but the ID error', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    try {
      const p = parseThingId(s);
      assert.equal(p.namespace + ':' + p.name, s);
    } catch (e) {
      assert.ok(rejects('things:id.invalid')(e));
    }
  }));
});
