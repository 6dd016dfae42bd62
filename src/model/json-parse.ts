import { DittoError } from './errors/index.ts';
import type { JsonValue } from './json.ts';

export interface JsonParseLimits {
  /** How many arrays/objects may nest inside each other; a scalar has depth 0, `{}` depth 1. */
  readonly maxDepth: number;
}

/**
 * Ditto names no nesting limit; its parser simply recurses. 256 is far beyond any thing or policy
 * seen in practice (a thing adds 3-4 levels of its own, policies 5) and keeps every recursive
 * walk over parsed values (merge, field selection, policy checks: a few frames per level) well
 * inside Node's default stack of roughly ten thousand frames.
 */
export const DEFAULT_MAX_JSON_DEPTH = 256;

export const DEFAULT_JSON_PARSE_LIMITS: JsonParseLimits = { maxDepth: DEFAULT_MAX_JSON_DEPTH };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * The deepest nesting of `[`/`{` in `text`, skipping string contents (which may hold brackets
 * and escaped quotes). One linear pass; it stops early once `limit` is exceeded. The text need
 * not be valid JSON: JSON.parse judges that afterwards.
 */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Jump to the closing quote: one not preceded by an odd run of backslashes. indexOf is
      // native and skips string contents far faster than a loop over them.
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return max;
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return max;
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let j = quote - 1; j >= 0 && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * JSON.parse with Ditto's errors: malformed text is 400 `json.invalid` with the parser's reason,
 * and so is nesting deeper than `limits.maxDepth`, checked before parsing so that a hostile body
 * cannot exhaust the stack of whatever walks the value later.
 */
export function parseJsonBounded(text: string, limits: JsonParseLimits = DEFAULT_JSON_PARSE_LIMITS): JsonValue {
  // Nesting deeper than maxDepth needs more than maxDepth opening brackets.
  if (text.length > limits.maxDepth && jsonNestingDepth(text, limits.maxDepth) > limits.maxDepth) {
    throw new DittoError('json.invalid', { reason: `the JSON nests deeper than ${limits.maxDepth} levels.` });
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    const reason = e instanceof Error ? e.message : 'it cannot be parsed.';
    throw new DittoError('json.invalid', { reason }, { cause: e });
  }
}

/**
 * UTF-8 size of the compact serialisation. Buffer.byteLength counts natively without encoding;
 * JSON.stringify has already escaped lone surrogates, so no replacement characters skew it.
 */
export function jsonByteLength(value: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
