import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileLike } from './like.ts';

/** Straightforward reference: the pattern as an anchored regular expression over code points. */
function reference(pattern: string, subject: string, caseInsensitive: boolean): boolean {
  const source = [...pattern].map((ch) => (ch === '*' ? '[^]*' : ch === '?' ? '[^]' : ch.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'iu' : 'u').test(subject);
}

test('[ditto: basic-rql like] the documented pattern shapes', () => {
  const like = (p: string, s: string): boolean => compileLike(p, false)(s);
  assert.ok(like('*at-end', 'known-chars-at-end'));
  assert.ok(like('known-chars-at-start*', 'known-chars-at-start and more'));
  assert.ok(like('*in-between*', 'chars-in-between-here'));
  assert.ok(like('just-som?-char?-unkn?wn', 'just-some-chars-unknown'));
  assert.ok(!like('just-som?-char?-unkn?wn', 'just-som-chars-unknown'));
  assert.ok(like('*', ''));
  assert.ok(like('**', 'anything'));
  assert.ok(like('', ''));
  assert.ok(!like('', 'x'));
  assert.ok(!like('?', ''));
  assert.ok(like('a*b*c', 'a-b-b-c'));
  assert.ok(!like('a*b*c', 'a-c-b'));
  assert.ok(!like('ab*ba', 'aba'));
  assert.ok(like('*\n*', 'multi\nline'));
});

test('regular expression characters in a pattern stand for themselves', () => {
  const like = (p: string, s: string): boolean => compileLike(p, false)(s);
  assert.ok(like('a.b', 'a.b'));
  assert.ok(!like('a.b', 'axb'));
  assert.ok(like('(x)[y]{1}^$|+\\', '(x)[y]{1}^$|+\\'));
  assert.ok(!like('a+', 'aa'));
});

test('? takes one character, also outside the basic plane', () => {
  const like = (p: string, s: string): boolean => compileLike(p, false)(s);
  assert.ok(like('?', '\u{1F600}'));
  assert.ok(!like('??', '\u{1F600}'));
  assert.ok(like('a?c', 'a\u{1F600}c'));
  assert.ok(like('*?', 'x\u{1F600}'));
});

test('ilike ignores case in pattern and subject', () => {
  const ilike = (p: string, s: string): boolean => compileLike(p, true)(s);
  assert.ok(ilike('HELLO*', 'hello world'));
  assert.ok(ilike('h?llo', 'HÉLLO'.replace('É', 'E')));
  assert.ok(ilike('ÉTÉ', 'été'));
  assert.ok(!compileLike('HELLO*', false)('hello'));
});

test('patterns with many stars do not backtrack exponentially', () => {
  const pattern = `${'*a'.repeat(30)}*b`;
  const subject = 'a'.repeat(10_000);
  const started = process.hrtime.bigint();
  assert.equal(compileLike(pattern, false)(subject), false);
  assert.equal(compileLike(`${'*a?'.repeat(30)}*b`, false)(subject), false);
  assert.ok(process.hrtime.bigint() - started < 2_000_000_000n, 'took too long');
});

test('property: agrees with a regular-expression reference', () => {
  const text = (max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom('a', 'b', 'A', '*', '?', '.', '\u{1F600}', '\n'), maxLength: max });
  fc.assert(
    fc.property(text(6), text(8), fc.boolean(), (pattern, subject, ci) => {
      assert.equal(compileLike(pattern, ci)(subject), reference(pattern, subject, ci), `${pattern} ~ ${subject}`);
    }),
    { numRuns: 5000 },
  );
});

test('property: a string matches itself, and with any part replaced by *', () => {
  const plain = fc.string({ maxLength: 10 }).map((s) => s.replace(/[*?]/g, ''));
  fc.assert(
    fc.property(plain, plain, plain, (a, b, c) => {
      assert.ok(compileLike(a + b + c, false)(a + b + c));
      assert.ok(compileLike(`${a}*${c}`, false)(a + b + c));
      assert.ok(compileLike(`*${b}*`, false)(a + b + c));
    }),
  );
});
