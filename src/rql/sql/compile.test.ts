import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRqlFilter } from '../index.ts';
import { compileRqlSql, likePrefix, prefixUpperBound, rqlToSql, toSqlLike } from './compile.ts';
import { SqlParams } from './params.ts';
import { indexRows } from './rows.ts';
import { compileSort, keysetCondition, leafDepths } from './sort.ts';

const NOW = new Date('2024-05-06T07:08:09.000Z');
const sql = (filter: string): { text: string; values: readonly unknown[] } =>
  rqlToSql(parseRqlFilter(filter), { thing: 't', snapshot: 's', valueTable: 'v_table', now: NOW });
const IN_VALUES = (where: string): string => `t.thing_id IN (SELECT v.thing_id FROM v_table v WHERE ${where})`;

describe('RQL -> SQL', () => {
  test('special fields compare their columns, with types checked at compile time', () => {
    assert.deepEqual(sql('eq(thingId,"a:b")'), { text: 't.thing_id = $1::text', values: ['a:b'] });
    assert.deepEqual(sql('gt(_revision,3)'), { text: 's.revision > $1::float8', values: [3] });
    assert.deepEqual(sql('eq(_revision,"3")'), { text: 'FALSE', values: [] });
    assert.deepEqual(sql('eq(namespace,"a")'), { text: 't.namespace = $1::text', values: ['a'] });
    assert.deepEqual(sql('in(thingId,"a:1","a:2",3)'), { text: 't.thing_id = ANY($1::text[])', values: [['a:1', 'a:2']] });
    assert.deepEqual(sql('ne(thingId,5)'), { text: 't.thing_id IS NOT NULL', values: [] });
    assert.deepEqual(sql('exists(policyId)'), { text: 't.policy_id IS NOT NULL', values: [] });
    assert.deepEqual(sql('lt(_created,time:now)'), { text: '(s.created COLLATE "C") < $1::text', values: ['2024-05-06T07:08:09.000Z'] });
  });

  test('value fields look up typed value rows by generic path and feature ID', () => {
    assert.deepEqual(sql('eq(attributes/a/b,1)'), {
      text: IN_VALUES('v.gpath = $1::text AND v.fid = $2::text AND v.kind = 2 AND v.n = $3::float8'),
      values: ['attributes/a/b', '', 1],
    });
    assert.deepEqual(sql('eq(features/lamp/properties/on,true)').values, ['features/*/properties/on', 'lamp', true]);
    const wildcard = sql('eq(features/*/properties/on,true)');
    assert.equal(wildcard.text, IN_VALUES('v.gpath = $1::text AND v.kind = 1 AND v.t IS NULL AND v.n IS NULL AND v.b = $2::boolean'));
    assert.deepEqual(sql('eq(attributes/x,null)').text, IN_VALUES('v.gpath = $1::text AND v.fid = $2::text AND v.kind = 0 AND v.t IS NULL AND v.n IS NULL'));
    assert.deepEqual(sql('gt(attributes/x,null)'), { text: 'FALSE', values: [] });
    assert.deepEqual(sql('exists(attributes/x)').text, IN_VALUES('v.gpath = $1::text AND v.fid = $2::text AND (v.t IS NOT NULL OR v.n IS NOT NULL OR (v.t IS NULL AND v.n IS NULL))'));
    assert.match(sql('in(attributes/x,1,"a")').text, /\(v\.kind = 2 AND v\.n = \$3::float8\) OR \(v\.kind = 3 AND v\.t = \$4::text\)/);
  });

  test('ne requires existence; on one path also that no value equals', () => {
    const one = sql('ne(attributes/x,"a")');
    assert.match(one.text, /AND NOT t\.thing_id IN/);
    const wildcard = sql('ne(features/*/properties/x,"a")');
    assert.doesNotMatch(wildcard.text, /AND NOT/);
  });

  test('like becomes LIKE with an index range for its prefix; ilike folds ASCII only', () => {
    const like = sql('like(attributes/s,"ab*c?")');
    assert.match(like.text, /\(v\.kind = 3 AND v\.t IS NOT NULL\) AND \(v\.t >= \$3::text AND v\.t < \$4::text AND v\.t LIKE \$5::text\)/);
    assert.deepEqual(like.values.slice(2), ['ab', 'ac', 'ab%c_']);
    assert.deepEqual(sql('ilike(attributes/s,"AB*")').values.slice(2), ['ab%']);
    assert.match(sql('ilike(attributes/s,"AB*")').text, /lower\(v\.t\) LIKE/);
    assert.equal(sql('ilike(attributes/s,"Ä*")').text, IN_VALUES('v.gpath = $1::text AND v.fid = $2::text AND v.kind = 3 AND v.t IS NOT NULL'));
    assert.equal(toSqlLike('50%_\\*'), '50\\%\\_\\\\%');
    assert.equal(likePrefix('*x'), '');
    assert.equal(prefixUpperBound('a\u{10ffff}'), 'b');
  });

  test('hidden fields: negations restrict only always visible fields, empty never restricts others', () => {
    assert.deepEqual(sql('not(eq(attributes/x,1))'), { text: 'TRUE', values: [] });
    assert.deepEqual(sql('empty(attributes/x)'), { text: 'TRUE', values: [] });
    assert.deepEqual(sql('not(eq(thingId,"a:b"))'), { text: 'NOT (t.thing_id = $1::text)', values: ['a:b'] });
    assert.deepEqual(sql('not(not(eq(attributes/x,1)))').values, ['attributes/x', '', 1]);
    assert.deepEqual(sql('and(eq(thingId,"a:b"),not(exists(attributes/x)))'), { text: 't.thing_id = $1::text', values: ['a:b'] });
    // Values of conditions folded away are dropped too (PostgreSQL cannot type unused parameters).
    assert.deepEqual(sql('or(eq(thingId,"a:b"),empty(attributes/x))'), { text: 'TRUE', values: [] });
    assert.deepEqual(sql('or(exists(attributes/a),not(empty(features/f2)))'), { text: 'TRUE', values: [] });
    assert.deepEqual(sql('eq(_metadata/x,1)'), { text: 'TRUE', values: [] });
  });

  test('an or of value conditions is one IN over the rows meeting any of them, with their paths listed once', () => {
    assert.deepEqual(sql('or(eq(attributes/a,1),gt(features/f/properties/p,2))'), {
      text: IN_VALUES('v.gpath IN ($1::text, $2::text) AND ((v.gpath = $1::text AND v.fid = $3::text AND v.kind = 2 AND v.n = $4::float8)'
        + ' OR (v.gpath = $2::text AND v.fid = $5::text AND v.kind = 2 AND v.n > $6::float8))'),
      values: ['attributes/a', 'features/*/properties/p', '', 1, 'f', 2],
    });
    // One path: compared once, each arm keeps its own test.
    assert.match(sql('or(eq(attributes/a,1),eq(attributes/a,"x"),exists(attributes/a))').text,
      /^t\.thing_id IN \(SELECT v\.thing_id FROM v_table v WHERE v\.gpath = \$1::text AND \(\(v\.gpath = \$1::text AND .+\) OR \(.+\) OR \(.+\)\)\)$/);
    // Nested ors flatten; a folded-away operand leaves the rest alone.
    assert.equal(sql('or(eq(attributes/a,1),or(eq(attributes/b,2),eq(_revision,"x")))').text.match(/ IN \(SELECT/g)?.length, 1);
    // Anything but value conditions keeps the plain OR.
    assert.match(sql('or(eq(attributes/a,1),eq(thingId,"a:b"))').text, /^\(t\.thing_id IN \(SELECT .+\)\) OR \(t\.thing_id = \$\d::text\)$/);
    assert.equal(sql('and(eq(attributes/a,1),or(eq(attributes/b,2),eq(attributes/c,3)))').text.match(/ IN \(SELECT/g)?.length, 2);
  });

  test('a single test of value rows the index does not give in thing ID order is offered as such', () => {
    const unordered = (filter: string): boolean =>
      compileRqlSql(parseRqlFilter(filter), new SqlParams(), { thing: 't', snapshot: 's', valueTable: 'v', now: NOW }).unorderedValueRows !== undefined;
    for (const f of ['gt(attributes/a,1)', 'like(attributes/s,"a*")', 'exists(attributes/a)', 'in(attributes/a,1,2)', 'eq(features/*/properties/p,1)', 'or(eq(attributes/a,1),eq(attributes/b,2))']) {
      assert.equal(unordered(f), true, f);
    }
    for (const f of ['eq(attributes/a,1)', 'eq(features/f/properties/p,"x")', 'eq(attributes/a,null)', 'and(gt(attributes/a,1),gt(attributes/b,1))', 'eq(thingId,"a:b")']) {
      assert.equal(unordered(f), false, f);
    }
  });

  test('and/or fold constants', () => {
    assert.deepEqual(sql('and(eq(_revision,"x"),eq(thingId,"a:b"))'), { text: 'FALSE', values: [] });
    assert.equal(sql('or(eq(thingId,"a:b"),eq(thingId,"a:c"))').text, '(t.thing_id = $1::text) OR (t.thing_id = $2::text)');
  });
});

describe('index rows', () => {
  test('flatten attributes, features (by ID) and arrays under their own path', () => {
    const rows = indexRows({
      thingId: 'a:b',
      policyId: 'a:b',
      definition: 'd:e:1',
      attributes: { tags: ['x', [1]], list: [{ room: 'k' }], o: {} },
      features: { lamp: { properties: { on: true } } },
      _metadata: { ignored: 1 },
    });
    const brief = rows.map((r) => [r.p, r.f, r.k, r.t ?? r.n ?? r.b]);
    assert.deepEqual(brief, [
      ['definition', '', 3, 'd:e:1'],
      ['attributes', '', 4, 3],
      ['attributes/tags', '', 5, 2],
      ['attributes/tags', '', 3, 'x'],
      ['attributes/tags', '', 2, 1],
      ['attributes/list', '', 5, 1],
      ['attributes/list', '', 4, 1],
      ['attributes/list/room', '', 3, 'k'],
      ['attributes/o', '', 4, 0],
      ['features', '', 4, 1],
      ['features/*', 'lamp', 4, 1],
      ['features/*/properties', 'lamp', 4, 1],
      ['features/*/properties/on', 'lamp', 1, true],
    ]);
  });
});

describe('sort and keyset', () => {
  test('column sorts end with the thing ID; value sorts join the smallest or largest value', () => {
    const params = new SqlParams();
    const sort = compileSort([{ pointer: ['_revision'], direction: 'desc' }], params, { thing: 't', snapshot: 's', valueTable: 'v' });
    assert.equal(sort.orderBy, 's.revision::float8 DESC, t.thing_id ASC');
    assert.deepEqual(sort.keyColumns, ['k0', 'k1']);
    const after = keysetCondition(sort, [3, 'a:b'], params);
    assert.equal(after, '(s.revision::float8 < $1::float8) OR (s.revision::float8 = $1::float8 AND t.thing_id > $2::text)');
    assert.equal(keysetCondition(sort, ['x', 'a:b'], new SqlParams()), undefined);
    assert.equal(keysetCondition(sort, [3], new SqlParams()), undefined);

    const p2 = new SqlParams();
    const byValue = compileSort([{ pointer: ['attributes', 'n'], direction: 'asc' }, { pointer: ['thingId'], direction: 'desc' }], p2, { thing: 't', snapshot: 's', valueTable: 'v' });
    assert.equal(byValue.joins.length, 1);
    assert.match(byValue.joins[0] as string, /LEFT JOIN LATERAL .* ORDER BY 1 ASC, 2 ASC, 3 ASC, 4 ASC LIMIT 1\) j0 ON TRUE/);
    assert.equal(byValue.keyColumns.length, 5);
    assert.match(byValue.orderBy, /t\.thing_id DESC$/);
    assert.deepEqual(p2.values, ['attributes/n', '']);
  });

  test('values hidden from the caller are skipped by the sort key lookup; the leaf decides where policies differ by depth', () => {
    assert.deepEqual(leafDepths(['attributes', 'a', 'b']), [2, 3]);
    assert.deepEqual(leafDepths(['features', 'f', 'properties', 'x']), [4]);
    assert.deepEqual(leafDepths(['definition']), [1]);
    const scopes = [{ policyId: 'p:1', namespace: 'ns', fid: '' }];
    const params = new SqlParams();
    const sort = compileSort([{ pointer: ['attributes', 'a', 'b'], direction: 'asc' }, { pointer: ['policyId'], direction: 'asc' }], params, {
      thing: 't', snapshot: 's', valueTable: 'v',
      hidden: [[{ scopes, readableDepths: [] }, { scopes, readableDepths: [2] }], [{ scopes, readableDepths: [] }]],
    });
    const join = sort.joins[0] as string;
    assert.match(join, /AND NOT \(\(\(t\.policy_id, t\.namespace, x\.fid\) IN \(SELECT \* FROM unnest\(/);
    assert.match(join, /y\.kind = 5 AND y\.gpath = ANY\(/, 'the first array above the field is the leaf');
    assert.match(sort.orderBy, /CASE WHEN \(\(t\.policy_id, t\.namespace, ''\) IN .* THEN '' ELSE coalesce\(t\.policy_id, ''\) END ASC/);
    const plain = compileSort([{ pointer: ['attributes', 'a'], direction: 'asc' }], new SqlParams(), { thing: 't', snapshot: 's', valueTable: 'v', hidden: [[]] });
    assert.doesNotMatch(plain.joins[0] as string, /unnest/, 'nothing hidden, nothing added');
  });
});

describe('exactness for a whole-thing reader', () => {
  const compiled = (filter: string): { exact: boolean; arrayPrefixes: readonly string[] } => {
    const c = compileRqlSql(parseRqlFilter(filter), new SqlParams(), { thing: 't', snapshot: 's', valueTable: 'v', now: NOW, text: (s) => s.replaceAll('\u0000', '\uffff') });
    return { exact: c.exact, arrayPrefixes: c.arrayPrefixes };
  };
  const exact = (filter: string): boolean => compiled(filter).exact;

  test('comparisons of stored values and columns are exact', () => {
    for (const f of [
      'eq(attributes/a,1)', 'gt(attributes/a,1)', 'le(features/*/properties/p,2.5)', 'in(attributes/a,1,"x",true,null)', 'exists(features/f)',
      'like(attributes/s,"ab*c?")', 'ne(attributes/a,"x")', 'eq(attributes/a,"😀")', 'gt(attributes/flag,false)', 'gt(attributes/a,null)',
      'eq(thingId,"a:b")', 'gt(_modified,"2024-01-01")', 'lt(_created,time:now)', 'eq(policyId,"a:p")', 'eq(_revision,"3")', 'like(thingId,"a:*")',
      'and(eq(attributes/a,1),or(exists(definition),eq(_namespace,"a")))', 'not(eq(thingId,"a:b"))', 'not(gt(_revision,2))',
    ]) assert.equal(exact(f), true, f);
  });

  test('what the compiler widens is reported', () => {
    for (const f of [
      'not(eq(attributes/a,1))', 'empty(attributes/a)', 'empty(thingId)', 'ilike(attributes/s,"ab*")', 'ilike(thingId,"a:*")',
      'ne(features/*/properties/p,1)', 'eq(_metadata/x,1)', 'gt(attributes/s,"m")',
      'eq(attributes/s,"a\u0000")', 'eq(attributes/s,"\uffff")', 'like(attributes/s,"*\ufffd")', 'gt(thingId,"\ue000")',
      'and(eq(attributes/a,1),not(exists(attributes/b)))', 'or(eq(thingId,"a:b"),empty(attributes/x))',
    ]) assert.equal(exact(f), false, f);
  });

  test('the prefixes where an array would make the condition inexact are listed', () => {
    // attributes, features, a feature and its properties are objects in every stored thing.
    assert.deepEqual(compiled('eq(attributes/a,1)').arrayPrefixes, []);
    assert.deepEqual(compiled('and(eq(attributes/l/room,1),exists(features/lamp/properties/x/y),exists(features/*/definition))').arrayPrefixes,
      ['attributes/l', 'features/*/properties/x']);
    assert.deepEqual(compiled('eq(thingId,"a:b")').arrayPrefixes, []);
  });
});
