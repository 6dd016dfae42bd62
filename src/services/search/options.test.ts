import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeCursor, encodeCursor, queryHash } from './cursor.ts';
import { parseSearchOptions } from './options.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { error?: string }).error ?? String(e);
  }
  return 'no error';
};

describe('search options', () => {
  test('parse sort, size, cursor and limit', () => {
    assert.deepEqual(parseSearchOptions(undefined), {});
    assert.deepEqual(parseSearchOptions('sort(+thingId,-attributes/a/b),size(10)'), {
      sort: [{ pointer: ['thingId'], direction: 'asc' }, { pointer: ['attributes', 'a', 'b'], direction: 'desc' }],
      size: 10,
    });
    assert.deepEqual(parseSearchOptions('sort(-namespace)').sort, [{ pointer: ['_namespace'], direction: 'desc' }]);
    assert.deepEqual(parseSearchOptions('limit(5,200)'), { limit: { offset: 5, count: 200 } });
    assert.deepEqual(parseSearchOptions(' size(1) , cursor(abc) '), { size: 1, cursor: 'abc' });
  });

  test('reject what Ditto rejects with thing-search:search.option.invalid', () => {
    for (const bad of ['size(201)', 'size(0)', 'size(x)', 'limit(0,201)', 'limit(1)', 'cursor(a),limit(0,1)', 'sort(thingId)', 'sort(+unknown)', 'sort(+attributes//a)', 'foo(1)', 'size(1),size(2)', 'size']) {
      assert.equal(code(() => parseSearchOptions(bad)), 'thing-search:search.option.invalid', bad);
    }
  });
});

describe('search cursor', () => {
  test('round-trips its key and is bound to its query', () => {
    const h = queryHash(['eq(a,1)', null]);
    const c = encodeCursor(h, [1, 'x', true]);
    assert.match(c, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(c, h), [1, 'x', true]);
    assert.equal(code(() => decodeCursor(c, queryHash(['eq(a,2)', null]))), 'thing-search:search.option.invalid');
    assert.equal(code(() => decodeCursor('!!', h)), 'thing-search:search.option.invalid');
    assert.equal(code(() => decodeCursor(Buffer.from('[1]').toString('base64url'), h)), 'thing-search:search.option.invalid');
  });
});
