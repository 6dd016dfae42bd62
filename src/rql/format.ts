import { isTimePlaceholder, type RqlFilter, type RqlProperty, type RqlValue } from './ast.ts';
import { formatTimePlaceholder } from './time-placeholder.ts';

// Canonical text of a filter: no whitespace, properties without a leading slash, strings in
// double quotes. parseRqlFilter(formatRqlFilter(f)) deep-equals f for every filter the parser can
// produce (with the same placeholder prefixes), which the property tests check.

export function formatRqlFilter(filter: RqlFilter): string {
  switch (filter.op) {
    case 'and':
    case 'or':
      return `${filter.op}(${filter.filters.map(formatRqlFilter).join(',')})`;
    case 'not':
      return `not(${formatRqlFilter(filter.filter)})`;
    case 'exists':
    case 'empty':
      return `${filter.op}(${formatProperty(filter.property)})`;
    case 'in':
      return `in(${formatProperty(filter.property)},${filter.values.map(formatValue).join(',')})`;
    case 'like':
    case 'ilike':
      return `${filter.op}(${formatProperty(filter.property)},${formatString(filter.pattern)})`;
    default:
      return `${filter.op}(${formatProperty(filter.property)},${formatValue(filter.value)})`;
  }
}

function formatProperty(p: RqlProperty): string {
  const text = p.kind === 'field' ? p.pointer.join('/') : `${p.prefix}:${p.name}`;
  // ',' and ')' end a property and have no short escape; raw trailing spaces would be trimmed.
  const escaped = escapeText(text, ',)');
  return escaped.replace(/ +$/, (spaces) => '\\u0020'.repeat(spaces.length));
}

export function formatValue(v: RqlValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return formatString(v);
  if (typeof v === 'number') return formatNumber(v);
  if (isTimePlaceholder(v)) return formatTimePlaceholder(v);
  throw new TypeError('not an RQL value');
}

function formatString(s: string): string {
  return `"${escapeText(s, '')}"`;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`RQL numbers are finite, got ${n}`);
  // '-0' is not an RQL integer, but '-0.0' is a valid decimal.
  if (Object.is(n, -0)) return '-0.0';
  // Integers beyond 2^53 print as long digit strings that may exceed the long range the parser
  // accepts; the exponent form stays exact.
  if (Number.isInteger(n) && Math.abs(n) > Number.MAX_SAFE_INTEGER) return n.toExponential();
  return String(n);
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '"': '\\"',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** Escapes backslashes, double quotes, control characters and the `extra` characters. */
function escapeText(s: string, extra: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch.charCodeAt(0) >= 0x20 && ch !== '\\' && ch !== '"' && !extra.includes(ch)) continue;
    out += s.slice(from, i) + (SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}
