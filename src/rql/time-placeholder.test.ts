import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatTimePlaceholder, parseTimePlaceholder, resolveTimePlaceholder } from './time-placeholder.ts';

const now = new Date('2024-01-06T14:23:42.123Z'); // a Saturday

function resolve(name: string): string | number | undefined {
  const t = parseTimePlaceholder(name);
  assert.ok(t !== undefined, name);
  return resolveTimePlaceholder(t, now);
}

test('[ditto: basic-placeholders time-placeholder] the documented examples', () => {
  assert.equal(resolve('now'), '2024-01-06T14:23:42.123Z');
  assert.equal(resolve('now+1h'), '2024-01-06T15:23:42.123Z');
  // The Ditto page prints 2023-12-31 here, one day off; seven days before Jan 6 is Dec 30.
  assert.equal(resolve('now-7d'), '2023-12-30T14:23:42.123Z');
  assert.equal(resolve('now[h]'), '2024-01-06T14:00:00.000Z');
  assert.equal(resolve('now[d]'), '2024-01-06T00:00:00.000Z');
  assert.equal(resolve('now-25m[m]'), '2024-01-06T13:58:00.000Z');
  assert.equal(resolve('now+3d[s]'), '2024-01-09T14:23:42.000Z');
  assert.equal(resolve('now_epoch_millis'), now.getTime());
  assert.equal(resolve('now_epoch_millis-1s[s]'), Date.parse('2024-01-06T14:23:41.000Z'));
});

test('offsets without a unit are seconds; weeks, months and years truncate to their start', () => {
  assert.equal(resolve('now+30'), '2024-01-06T14:24:12.123Z');
  assert.equal(resolve('now-500ms'), '2024-01-06T14:23:41.623Z');
  assert.equal(resolve('now[w]'), '2024-01-01T00:00:00.000Z');
  assert.equal(resolve('now[mo]'), '2024-01-01T00:00:00.000Z');
  assert.equal(resolve('now-1w[w]'), '2023-12-25T00:00:00.000Z');
  assert.equal(resolve('now+1mo[mo]'), '2024-02-01T00:00:00.000Z');
  assert.equal(resolve('now[y]'), '2024-01-01T00:00:00.000Z');
  assert.equal(resolve('now-1y[y]'), '2023-01-01T00:00:00.000Z');
});

test('a Monday stays in its own week when truncated to weeks', () => {
  const monday = parseTimePlaceholder('now[w]');
  assert.ok(monday !== undefined);
  assert.equal(resolveTimePlaceholder(monday, new Date('2024-01-01T23:59:59Z')), '2024-01-01T00:00:00.000Z');
  assert.equal(resolveTimePlaceholder(monday, new Date('2024-01-07T23:59:59Z')), '2024-01-01T00:00:00.000Z');
});

test('offsets beyond the representable range resolve to nothing', () => {
  assert.equal(resolve('now+999999999999999y'), undefined);
  assert.equal(resolve('now_epoch_millis-999999999999999y[d]'), undefined);
});

test('unsupported forms are refused', () => {
  for (const bad of ['', 'later', 'now ', 'now+', 'now+1x', 'now1h', 'now[]', 'now[h', 'now+-1h', 'now-1h[h][d]', 'NOW', 'now+1234567890123456s']) {
    assert.equal(parseTimePlaceholder(bad), undefined, bad);
  }
});

test('property: formatting and parsing a placeholder round-trips', () => {
  const unit = fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', 'mo', 'y');
  const name = fc
    .tuple(fc.boolean(), fc.option(fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 1e9 }), unit)), fc.option(unit))
    .map(([epoch, offset, truncate]) => `now${epoch ? '_epoch_millis' : ''}${offset === null ? '' : offset.join('')}${truncate === null ? '' : `[${truncate}]`}`);
  fc.assert(
    fc.property(name, (n) => {
      const t = parseTimePlaceholder(n);
      assert.ok(t !== undefined);
      assert.equal(formatTimePlaceholder(t), `time:${n}`);
    }),
  );
});
