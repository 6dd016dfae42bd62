import type { RqlFilter, RqlLikeOp, RqlOp, RqlProperty, RqlSingleOp, RqlValue } from './ast.ts';
import { toProperty } from './properties.ts';
import { clip, type Cursor, expect, fail, failWith, invalid, isSpace, readEscape, readNumber, readString, readWord, skipSpace } from './scanner.ts';
import { parseTimePlaceholder } from './time-placeholder.ts';

// Recursive descent over Ditto's RQL filter grammar [ditto: basic-rql]:
//   query    = single "(" property "," value ")" | like "(" property "," string ")"
//            | "in(" property "," value { "," value } ")" | ("and" | "or") "(" query { "," query } ")"
//            | "not(" query ")" | ("exists" | "empty") "(" property ")"
// Whitespace may stand between any two tokens (Ditto is stricter: only after values and commas).

/** Longest accepted expression. Search filters arrive in POST bodies and may list many IDs in `in(...)`. */
export const RQL_MAX_LENGTH = 100_000;
/** Deepest accepted nesting of operators; keeps recursion far from the stack limit. */
export const RQL_MAX_DEPTH = 100;

export interface RqlParseOptions {
  /**
   * Placeholder prefixes accepted as properties, e.g. `['topic', 'resource', 'time']` for SSE
   * event filters [ditto: basic-changenotifications]. None by default (search, conditions).
   */
  readonly placeholderPrefixes?: readonly string[];
}

interface ParseState extends Cursor {
  readonly prefixes: ReadonlySet<string>;
}

const OPERATORS: ReadonlySet<string> = new Set<RqlOp>(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'ilike', 'in', 'and', 'or', 'not', 'exists', 'empty']);
const OPERATORS_EXPECTED = 'an operator: eq, ne, gt, ge, lt, le, like, ilike, in, and, or, not, exists or empty';
const VALUE_EXPECTED = 'a value: a number, a quoted string, true, false, null, time:now or time:now_epoch_millis';

/** Parses an RQL filter; any problem is a DittoError `rql.expression.invalid` (400) naming the position. */
export function parseRqlFilter(text: string, options: RqlParseOptions = {}): RqlFilter {
  if (text.length > RQL_MAX_LENGTH) throw invalid(`the expression is longer than ${RQL_MAX_LENGTH} characters`);
  const s: ParseState = { text, pos: 0, prefixes: new Set(options.placeholderPrefixes ?? []) };
  skipSpace(s);
  const filter = query(s, 1);
  skipSpace(s);
  if (s.pos < text.length) fail(s, 'the end of the expression');
  return filter;
}

function query(s: ParseState, depth: number): RqlFilter {
  const start = s.pos;
  if (depth > RQL_MAX_DEPTH) failWith(s, `the expression is nested deeper than ${RQL_MAX_DEPTH} levels`, start);
  while (s.pos < s.text.length && /[A-Za-z]/.test(s.text[s.pos] ?? '')) s.pos++;
  const name = s.text.slice(start, s.pos);
  if (name === '') fail(s, OPERATORS_EXPECTED);
  if (!OPERATORS.has(name)) failWith(s, `unknown operator '${clip(name)}'; expected ${OPERATORS_EXPECTED}`, start);
  const op = name as RqlOp;
  skipSpace(s);
  expect(s, '(');
  skipSpace(s);
  const filter = operands(s, op, depth);
  skipSpace(s);
  expect(s, ')', op === 'in' || op === 'and' || op === 'or' ? "',' or ')'" : "')'");
  return filter;
}

function operands(s: ParseState, op: RqlOp, depth: number): RqlFilter {
  switch (op) {
    case 'and':
    case 'or': {
      const first = query(s, depth + 1);
      const rest: RqlFilter[] = [];
      while (nextItem(s)) rest.push(query(s, depth + 1));
      return { op, filters: [first, ...rest] };
    }
    case 'not':
      return { op, filter: query(s, depth + 1) };
    case 'exists':
    case 'empty':
      return { op, property: property(s, op) };
    case 'in': {
      const prop = property(s, op);
      expect(s, ',');
      skipSpace(s);
      const first = value(s);
      const rest: RqlValue[] = [];
      while (nextItem(s)) rest.push(value(s));
      return { op, property: prop, values: [first, ...rest] };
    }
    case 'like':
    case 'ilike':
      return likeOperands(s, op);
    default:
      return singleOperands(s, op);
  }
}

function singleOperands(s: ParseState, op: RqlSingleOp): RqlFilter {
  const prop = property(s, op);
  expect(s, ',');
  skipSpace(s);
  return { op, property: prop, value: value(s) };
}

function likeOperands(s: ParseState, op: RqlLikeOp): RqlFilter {
  const prop = property(s, op);
  expect(s, ',');
  skipSpace(s);
  const at = s.pos;
  const pattern = value(s);
  // Ditto builds like criteria from strings only [ditto: basic-rql like].
  if (typeof pattern !== 'string') failWith(s, `the value of ${op} must be a quoted string`, at);
  return { op, property: prop, pattern };
}

/** After whitespace: consumes a ',' and the whitespace after it, or reports that the list ended. */
function nextItem(s: ParseState): boolean {
  skipSpace(s);
  if (s.text[s.pos] !== ',') return false;
  s.pos++;
  skipSpace(s);
  return true;
}

/**
 * A property runs up to ',' or ')'. Backslash escapes are decoded; raw whitespace at its end is
 * dropped (escaped whitespace is kept). A bare double quote is refused as in Ditto.
 */
function property(s: ParseState, op: RqlOp): RqlProperty {
  const start = s.pos;
  let text = '';
  let kept = 0;
  for (;;) {
    const ch = s.text[s.pos];
    if (ch === undefined || ch === ',' || ch === ')') break;
    if (ch === '"') fail(s, "a property character (a double quote must be escaped as \\\")");
    if (ch === '\\') {
      text += readEscape(s);
      kept = text.length;
    } else {
      text += ch;
      s.pos++;
      if (!isSpace(ch)) kept = text.length;
    }
  }
  if (s.pos >= s.text.length) fail(s, op === 'exists' || op === 'empty' ? "')'" : "','");
  const result = toProperty(text.slice(0, kept), op, s.prefixes);
  if (typeof result === 'string') failWith(s, result, start);
  return result;
}

function value(s: ParseState): RqlValue {
  const ch = s.text[s.pos];
  if (ch === '"' || ch === "'") return readString(s);
  if (ch !== undefined && /[-+0-9]/.test(ch)) return readNumber(s);
  if (ch === undefined || !/[A-Za-z]/.test(ch)) fail(s, VALUE_EXPECTED);
  const start = s.pos;
  const word = readWord(s);
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (word === 'null') return null;
  if (word.startsWith('time:')) {
    const placeholder = parseTimePlaceholder(word.slice(5));
    if (placeholder !== undefined) return placeholder;
    failWith(s, `unsupported time placeholder '${clip(word)}'; use time:now or time:now_epoch_millis, optionally followed by an offset like -1h and a truncation like [d]`, start);
  }
  failWith(s, `unexpected '${clip(word)}'; expected ${VALUE_EXPECTED} (strings must be quoted)`, start);
}
