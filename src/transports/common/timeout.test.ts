import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimeoutMs } from './timeout.ts';
import { DittoError } from '../../model/errors/index.ts';

test('timeouts parse with and without units', () => {
  assert.equal(parseTimeoutMs('42', 60_000), 42_000);
  assert.equal(parseTimeoutMs('250ms', 60_000), 250);
  assert.equal(parseTimeoutMs('1m', 60_000), 60_000);
  assert.equal(parseTimeoutMs('0', 60_000), 0);
});

test('negative, malformed and too long timeouts are refused', () => {
  for (const bad of ['-1', '61s', '2m', 'abc', '1h', '']) {
    assert.throws(() => parseTimeoutMs(bad, 60_000), (e: unknown) => e instanceof DittoError && e.error === 'gateway:timeout.invalid', bad);
  }
});
