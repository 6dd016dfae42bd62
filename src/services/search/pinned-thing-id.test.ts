import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRqlFilter } from '../../rql/index.ts';
import { pinnedThingId } from './search-service.ts';

test('a filter pins a thing ID only when every match must have it', () => {
  const pinned = (rql: string): string | undefined => pinnedThingId(parseRqlFilter(rql));
  assert.equal(pinned('eq(thingId,"a:b")'), 'a:b');
  assert.equal(pinned('and(eq(attributes/x,1),eq(thingId,"a:b"))'), 'a:b');
  assert.equal(pinned('and(gt(_revision,1),and(eq(thingId,"a:c"),exists(features/lamp)))'), 'a:c');
  for (const rql of ['or(eq(thingId,"a:b"),eq(thingId,"a:c"))', 'not(eq(thingId,"a:b"))', 'ne(thingId,"a:b")', 'in(thingId,"a:b")', 'eq(thingId,1)', 'eq(policyId,"a:b")', 'eq(attributes/thingId,"a:b")', 'like(thingId,"a:*")']) {
    assert.equal(pinned(rql), undefined, rql);
  }
});
