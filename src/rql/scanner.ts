import { DittoError } from '../model/errors/index.ts';

// Character-level reading shared by the parser: whitespace, escapes, quoted strings, numbers,
// bare words, and errors that say where the problem is and what was expected.
// [ditto: basic-rql] (lexical rules of Ditto's RqlParserBase)

export interface Cursor {
  readonly text: string;
  pos: number;
}

/** Ditto's whitespace characters; other Unicode spaces are ordinary characters. */
export function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f';
}

export function skipSpace(c: Cursor): void {
  while (isSpace(c.text[c.pos])) c.pos++;
}

export function invalid(reason: string): DittoError {
  return new DittoError('rql.expression.invalid', { reason });
}

/** Echoes client text in an error message, cut short so a huge input cannot bloat the response. */
export function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}

/** Position of a character as people count it: 1-based, with the line only for multi-line input. */
export function where(text: string, at: number): string {
  const before = text.slice(0, at);
  const lineStart = before.lastIndexOf('\n');
  const column = at - lineStart;
  if (lineStart < 0) return `column ${column}`;
  let line = 1;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
  return `line ${line}, column ${column}`;
}

function describeAt(text: string, at: number): string {
  if (at >= text.length) return 'end of input';
  const ch = String.fromCodePoint(text.codePointAt(at) ?? 0);
  return `'${JSON.stringify(ch).slice(1, -1)}'`;
}

/** Throws: the character at `at` is not what the grammar allows there. */
export function fail(c: Cursor, expected: string, at: number = c.pos): never {
  throw invalid(`unexpected ${describeAt(c.text, at)} at ${where(c.text, at)}; expected ${expected}`);
}

/** Throws a problem with a construct that starts at `at`. */
export function failWith(c: Cursor, problem: string, at: number): never {
  throw invalid(`${problem} (at ${where(c.text, at)})`);
}

export function expect(c: Cursor, ch: string, expected = `'${ch}'`): void {
  if (c.text[c.pos] !== ch) fail(c, expected);
  c.pos++;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const ESCAPES_EXPECTED = "an escape: \\\" \\' \\\\ \\/ \\b \\f \\n \\r \\t or \\u followed by 4 hex digits";

/** Reads the escape sequence whose backslash is at the cursor; returns the character it stands for. */
export function readEscape(c: Cursor): string {
  const start = c.pos;
  const kind = c.text[start + 1];
  if (kind === undefined) fail(c, ESCAPES_EXPECTED, start + 1);
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) {
    c.pos = start + 2;
    return simple;
  }
  const hex = c.text.slice(start + 2, start + 6);
  if (kind !== 'u' || !HEX4.test(hex)) fail(c, ESCAPES_EXPECTED, start + 1);
  c.pos = start + 6;
  return String.fromCharCode(parseInt(hex, 16));
}

/** Reads a string in single or double quotes; the cursor is on the opening quote. */
export function readString(c: Cursor): string {
  const quote = c.text[c.pos];
  c.pos++;
  let out = '';
  for (;;) {
    const ch = c.text[c.pos];
    if (ch === undefined) fail(c, `a closing ${quote === '"' ? 'double' : 'single'} quote`);
    if (ch === quote) {
      c.pos++;
      return out;
    }
    if (ch === '\\') {
      out += readEscape(c);
    } else {
      out += ch;
      c.pos++;
    }
  }
}

// Ditto takes integers as Java longs and decimals as doubles. Exponents are a Doppel extension.
const NUMBER = /[+-]?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const NUMBER_CONTINUES = /[0-9A-Za-z._]/;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Reads a number; the cursor is on its sign or first digit. */
export function readNumber(c: Cursor): number {
  const start = c.pos;
  NUMBER.lastIndex = start;
  const m = NUMBER.exec(c.text);
  if (m === null) fail(c, 'a number');
  const literal = m[0];
  c.pos = start + literal.length;
  if (NUMBER_CONTINUES.test(c.text[c.pos] ?? ' ')) failWith(c, `invalid number '${c.text.slice(start, c.pos + 1)}'`, start);
  if (m[1] === undefined && m[2] === undefined) {
    if (literal === '-0') failWith(c, "'-0' is not a valid integer", start);
    const n = BigInt(literal);
    if (n < LONG_MIN || n > LONG_MAX) failWith(c, `the integer ${literal} is out of range`, start);
  }
  const value = Number(literal);
  if (!Number.isFinite(value)) failWith(c, `the number ${literal} is out of range`, start);
  return value;
}

/** Reads an unquoted word (keyword or placeholder) up to whitespace, ',' or ')'. */
export function readWord(c: Cursor): string {
  const start = c.pos;
  while (c.pos < c.text.length) {
    const ch = c.text[c.pos];
    if (ch === ',' || ch === ')' || isSpace(ch)) break;
    c.pos++;
  }
  return c.text.slice(start, c.pos);
}
