import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DittoError } from '../model/errors/index.ts';
import type { RqlFilter, RqlProperty } from './ast.ts';
import { parseRqlFilter, RQL_MAX_DEPTH, RQL_MAX_LENGTH } from './parser.ts';

const field = (...pointer: string[]): RqlProperty => ({ kind: 'field', pointer });
const a = field('attributes', 'a');

/** Asserts that parsing fails with rql.expression.invalid and a reason containing each fragment. */
function rejects(text: string, ...fragments: string[]): void {
  assert.throws(
    () => parseRqlFilter(text),
    (e: unknown) => {
      assert.ok(e instanceof DittoError, `not a DittoError: ${String(e)}`);
      assert.equal(e.error, 'rql.expression.invalid');
      assert.equal(e.status, 400);
      for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" lacks "${f}"`);
      return true;
    },
    text,
  );
}

test('[ditto: basic-rql] every comparison operator parses', () => {
  for (const op of ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const) {
    assert.deepEqual(parseRqlFilter(`${op}(attributes/a,1)`), { op, property: a, value: 1 });
  }
  assert.deepEqual(parseRqlFilter('like(attributes/a,"x*")'), { op: 'like', property: a, pattern: 'x*' });
  assert.deepEqual(parseRqlFilter('ilike(attributes/a,"x?")'), { op: 'ilike', property: a, pattern: 'x?' });
  assert.deepEqual(parseRqlFilter('in(attributes/a,1,"2",true)'), { op: 'in', property: a, values: [1, '2', true] });
  assert.deepEqual(parseRqlFilter('in(attributes/a,null)'), { op: 'in', property: a, values: [null] });
  assert.deepEqual(parseRqlFilter('exists(attributes/a)'), { op: 'exists', property: a });
  assert.deepEqual(parseRqlFilter('empty(attributes/a)'), { op: 'empty', property: a });
});

test('[ditto: basic-rql] logical operators nest', () => {
  const eq1: RqlFilter = { op: 'eq', property: a, value: 1 };
  assert.deepEqual(parseRqlFilter('and(eq(attributes/a,1))'), { op: 'and', filters: [eq1] });
  assert.deepEqual(parseRqlFilter('or(eq(attributes/a,1),not(eq(attributes/a,1)))'), { op: 'or', filters: [eq1, { op: 'not', filter: eq1 }] });
  assert.deepEqual(parseRqlFilter('and(or(exists(thingId)),and(eq(attributes/a,1),eq(attributes/a,1)))'), {
    op: 'and',
    filters: [{ op: 'or', filters: [{ op: 'exists', property: field('thingId') }] }, { op: 'and', filters: [eq1, eq1] }],
  });
});

test('whitespace may stand between any two tokens', () => {
  const spaced = ' \n and ( eq ( attributes/a , 1 ) ,\t\r\f not ( exists ( thingId ) ) ) \n';
  assert.deepEqual(parseRqlFilter(spaced), parseRqlFilter('and(eq(attributes/a,1),not(exists(thingId)))'));
});

test('[ditto: basic-rql query-property] a leading slash is optional, namespace means _namespace', () => {
  assert.deepEqual(parseRqlFilter('eq(/attributes/a,1)'), parseRqlFilter('eq(attributes/a,1)'));
  assert.deepEqual(parseRqlFilter('eq(attributes/a/,1)'), parseRqlFilter('eq(attributes/a,1)'));
  assert.deepEqual(parseRqlFilter('eq(namespace,"ns")'), { op: 'eq', property: field('_namespace'), value: 'ns' });
  assert.deepEqual(parseRqlFilter('eq(_namespace,"ns")'), { op: 'eq', property: field('_namespace'), value: 'ns' });
});

test('[ditto: basic-search searchable fields] known fields parse, others are refused', () => {
  for (const p of ['thingId', 'policyId', '_revision', '_created', '_modified', 'definition', 'attributes/x/y', 'features/f/properties/p', 'features/*/properties/p', 'features/f/desiredProperties/p/q', 'features/f/definition', '_metadata', '_metadata/attributes/a']) {
    assert.deepEqual(parseRqlFilter(`eq(${p},1)`), { op: 'eq', property: field(...p.split('/')), value: 1 });
  }
  for (const p of ['features/f', 'features/*', 'features/f/properties', 'features/f/desiredProperties']) {
    assert.deepEqual(parseRqlFilter(`exists(${p})`), { op: 'exists', property: field(...p.split('/')) });
    rejects(`eq(${p},1)`, 'only exists and empty');
  }
  rejects('eq(foo,1)', "unknown property 'foo'", 'column 4');
  rejects('exists(attributes)', "'attributes' needs a key");
  rejects('exists(features)', "'features' needs a feature ID");
  rejects('eq(features/f/other/x,1)', "unknown property 'features/f/other/x'");
  rejects('eq(features/f/definition/x,1)', 'unknown property');
  rejects('eq(thingId/x,1)', "unknown property 'thingId/x'");
  rejects('eq(,1)', 'must not be empty');
  rejects('eq(/,1)', 'must not be empty');
});

test('[ditto: basic-rql] a double slash in a property is invalid', () => {
  rejects('eq(attributes/a//b,1)', 'double slash', 'column 4');
  rejects('exists(//attributes/a)', 'double slash');
});

test('property text: escapes are decoded, raw trailing whitespace dropped, quotes refused', () => {
  assert.deepEqual(parseRqlFilter('eq(attributes/a\\u002cb,1)'), { op: 'eq', property: field('attributes', 'a,b'), value: 1 });
  assert.deepEqual(parseRqlFilter('eq(attributes/a\\u0029\\\\,1)'), { op: 'eq', property: field('attributes', 'a)\\'), value: 1 });
  assert.deepEqual(parseRqlFilter('eq(attributes/my key\\u0020 ,1)'), { op: 'eq', property: field('attributes', 'my key '), value: 1 });
  assert.deepEqual(parseRqlFilter("eq(attributes/it's(x,1)"), { op: 'eq', property: field('attributes', "it's(x"), value: 1 });
  // An escaped slash still separates keys, as in Ditto.
  assert.deepEqual(parseRqlFilter('eq(attributes\\/a,1)'), { op: 'eq', property: a, value: 1 });
  rejects('eq(attributes/a"b,1)', 'double quote must be escaped', 'column 16');
});

test('placeholder properties are accepted only for the prefixes the caller allows', () => {
  const options = { placeholderPrefixes: ['topic', 'resource'] };
  assert.deepEqual(parseRqlFilter("in(topic:action,'created','deleted')", options), {
    op: 'in',
    property: { kind: 'placeholder', prefix: 'topic', name: 'action' },
    values: ['created', 'deleted'],
  });
  assert.deepEqual(parseRqlFilter('eq(/resource:path,"/")', options), { op: 'eq', property: { kind: 'placeholder', prefix: 'resource', name: 'path' }, value: '/' });
  rejects("eq(topic:action,'created')", "unknown property 'topic:action'");
  assert.throws(() => parseRqlFilter('eq(header:x,1)', options), DittoError);
});

test('[ditto: basic-rql query-value] numbers: integers, decimals, exponents, signs', () => {
  const v = (text: string): unknown => {
    const f = parseRqlFilter(`eq(attributes/a,${text})`);
    return f.op === 'eq' ? f.value : undefined;
  };
  assert.equal(v('42'), 42);
  assert.equal(v('-42'), -42);
  assert.equal(v('+42'), 42);
  assert.equal(v('0'), 0);
  assert.equal(v('-1.5'), -1.5);
  assert.equal(v('0.25'), 0.25);
  assert.equal(v('1e3'), 1000);
  assert.equal(v('-2.5E-2'), -0.025);
  assert.ok(Object.is(v('-0.0'), -0));
  // The long range is checked exactly although the value is held as a double.
  assert.equal(v('9223372036854775807'), 2 ** 63);
  assert.equal(v('-9223372036854775808'), -(2 ** 63));
  rejects('eq(attributes/a,9223372036854775808)', 'out of range');
  rejects('eq(attributes/a,1e999)', 'out of range');
  rejects('eq(attributes/a,-0)', "'-0' is not a valid integer");
  rejects('eq(attributes/a,007)', "invalid number '00'");
  rejects('eq(attributes/a,1.)', "invalid number '1.'");
  rejects('eq(attributes/a,.5)', 'expected a value');
  rejects('eq(attributes/a,1x)', "invalid number '1x'");
  rejects('eq(attributes/a,-)', 'expected a number');
});

test('[ditto: basic-rql query-value] strings in either quotes with every escape', () => {
  const v = (text: string): unknown => {
    const f = parseRqlFilter(`eq(attributes/a,${text})`);
    return f.op === 'eq' ? f.value : undefined;
  };
  assert.equal(v('"plain"'), 'plain');
  assert.equal(v("'single'"), 'single');
  assert.equal(v('""'), '');
  assert.equal(v('"a,b)c(d"'), 'a,b)c(d');
  assert.equal(v('"it\'s"'), "it's");
  assert.equal(v("'say \"hi\"'"), 'say "hi"');
  assert.equal(v('"\\"\\\'\\\\\\/\\b\\f\\n\\r\\t"'), '"\'\\/\b\f\n\r\t');
  assert.equal(v("'\\''"), "'");
  assert.equal(v('"\\u00e9\\u00C9\\ud83d\\ude00"'), 'éÉ\u{1F600}');
  assert.equal(v('"raw\nnewline"'), 'raw\nnewline');
  rejects('eq(attributes/a,"\\x")', "unexpected 'x'", 'column 19', 'an escape');
  rejects('eq(attributes/a,"\\u12g4")', 'an escape');
  rejects('eq(attributes/a,"\\u12")', 'an escape');
  rejects('eq(attributes/a,"open)', 'a closing double quote');
  rejects("eq(attributes/a,'open)", 'a closing single quote');
  rejects('eq(attributes/a,unquoted)', "unexpected 'unquoted'", 'strings must be quoted');
});

test('[ditto: basic-rql query-value] true, false, null and time placeholders', () => {
  const v = (text: string): unknown => {
    const f = parseRqlFilter(`eq(attributes/a,${text})`);
    return f.op === 'eq' ? f.value : undefined;
  };
  assert.equal(v('true'), true);
  assert.equal(v('false'), false);
  assert.equal(v('null'), null);
  assert.deepEqual(v('time:now'), { kind: 'time', format: 'iso' });
  assert.deepEqual(v('time:now_epoch_millis'), { kind: 'time', format: 'epochMillis' });
  assert.deepEqual(v('time:now-1h'), { kind: 'time', format: 'iso', offset: { sign: -1, amount: 1, unit: 'h' } });
  assert.deepEqual(v('time:now_epoch_millis+30'), { kind: 'time', format: 'epochMillis', offset: { sign: 1, amount: 30, unit: 's' } });
  assert.deepEqual(v('time:now[d]'), { kind: 'time', format: 'iso', truncateTo: 'd' });
  assert.deepEqual(v('time:now-25mo[mo]'), { kind: 'time', format: 'iso', offset: { sign: -1, amount: 25, unit: 'mo' }, truncateTo: 'mo' });
  rejects('eq(attributes/a,TRUE)', "unexpected 'TRUE'");
  rejects('eq(attributes/a,truex)', "unexpected 'truex'");
  rejects('eq(attributes/a,time:later)', "unsupported time placeholder 'time:later'");
  rejects('eq(attributes/a,time:now-1x)', 'unsupported time placeholder');
  rejects('eq(attributes/a,time:now[])', 'unsupported time placeholder');
});

test('like and ilike need a string pattern', () => {
  rejects('like(attributes/a,1)', 'the value of like must be a quoted string', 'column 19');
  rejects('ilike(attributes/a,null)', 'the value of ilike must be a quoted string');
  rejects('like(attributes/a,time:now)', 'must be a quoted string');
});

test('syntax errors name the position and what was expected', () => {
  rejects('', 'unexpected end of input at column 1', 'expected an operator');
  rejects('eq(attributes/a,1', 'unexpected end of input at column 18', "expected ')'");
  rejects('eq(attributes/a,1,2)', "unexpected ',' at column 18", "expected ')'");
  rejects('eq(attributes/a)', "unexpected ')' at column 16", "expected ','");
  rejects('exists(attributes/a,1)', "unexpected ',' at column 20", "expected ')'");
  rejects('in(attributes/a)', "expected ','");
  rejects('in(attributes/a,)', "unexpected ')' at column 17", 'expected a value');
  rejects('and()', "unexpected ')' at column 5", 'expected an operator');
  rejects('and(eq(attributes/a,1),)', "unexpected ')' at column 24");
  rejects('and(eq(attributes/a,1) eq(attributes/a,2))', "unexpected 'e' at column 24", "expected ',' or ')'");
  rejects('not(eq(attributes/a,1),eq(attributes/a,1))', "unexpected ','", "expected ')'");
  rejects('eq(attributes/a,1))', "unexpected ')' at column 19", 'expected the end of the expression');
  rejects('eq(attributes/a,1) x', "unexpected 'x' at column 20");
  rejects('EQ(attributes/a,1)', "unknown operator 'EQ'", 'column 1');
  rejects('sort(+thingId)', "unknown operator 'sort'");
  rejects('eq (attributes/a,1', 'column 19');
  rejects('eq[attributes/a,1]', "unexpected '['", "expected '('");
  rejects('and(\n  eq(attributes/a,1),\n  eq(attributes/a,)\n)', 'line 3, column 19');
});

test('nesting beyond the documented depth is refused without exhausting the stack', () => {
  const nested = (depth: number): string => 'not('.repeat(depth - 1) + 'exists(thingId)' + ')'.repeat(depth - 1);
  assert.equal(parseRqlFilter(nested(RQL_MAX_DEPTH)).op, 'not');
  rejects(nested(RQL_MAX_DEPTH + 1), `nested deeper than ${RQL_MAX_DEPTH} levels`);
  rejects('and('.repeat(20_000), `nested deeper than ${RQL_MAX_DEPTH} levels`);
});

test('input longer than the documented limit is refused', () => {
  const many = (n: number): string => `in(thingId,${Array.from({ length: n }, (_, i) => `"ns:thing-${i}"`).join(',')})`;
  const ok = many(5_000);
  assert.ok(ok.length < RQL_MAX_LENGTH);
  const parsed = parseRqlFilter(ok);
  assert.equal(parsed.op === 'in' ? parsed.values.length : 0, 5_000);
  rejects(' '.repeat(RQL_MAX_LENGTH) + 'exists(thingId)', `longer than ${RQL_MAX_LENGTH} characters`);
});
