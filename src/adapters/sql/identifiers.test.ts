import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidIdentifierError, quoteIdentifier, schemaIdentifier } from './identifiers.ts';

void describe('identifiers', () => {
  void it('quotes identifiers, doubling embedded quotes', () => {
    assert.equal(quoteIdentifier('doppel'), '"doppel"');
    assert.equal(quoteIdentifier('a"b'), '"a""b"');
  });

  void it('accepts plain lower-case schema names', () => {
    assert.equal(schemaIdentifier('public'), '"public"');
    assert.equal(schemaIdentifier('doppel_test_12_ab'), '"doppel_test_12_ab"');
  });

  void it('rejects names that could carry SQL or would need case folding', () => {
    for (const bad of ['', 'Public', '1abc', 'a-b', 'a"; DROP TABLE x; --', 'a b', 'x'.repeat(64)]) {
      assert.throws(() => schemaIdentifier(bad), InvalidIdentifierError, bad);
    }
  });
});
