// The `fn:` functions of Ditto's placeholder pipelines [ditto: basic-placeholders function-expressions].
// A stage receives what the stage before it produced: a list of values (an empty list means
// "unresolved") or the deletion marker, and hands on the same kind of thing.

/** The deletion marker of `fn:delete()`; every later stage keeps it. */
export const DELETED = 'deleted';
export type PipelineValue = readonly string[] | typeof DELETED;

/** The values of `prefix:name`; an empty list when it does not resolve. */
export type PlaceholderLookup = (prefix: string, name: string) => readonly string[];

export type FunctionParam =
  | { readonly kind: 'constant'; readonly value: string }
  | { readonly kind: 'placeholder'; readonly prefix: string; readonly name: string };

export type PipelineStage = (input: PipelineValue, lookup: PlaceholderLookup) => PipelineValue;

export interface FunctionSpec {
  readonly minParams: number;
  readonly maxParams: number;
  /** Whether parameters may be placeholders, or only quoted constants. */
  readonly placeholderParams: boolean;
  /** The signature shown in errors. */
  readonly signature: string;
  readonly build: (params: readonly FunctionParam[]) => PipelineStage;
}

function paramValues(p: FunctionParam, lookup: PlaceholderLookup): readonly string[] {
  return p.kind === 'constant' ? [p.value] : lookup(p.prefix, p.name);
}

/** The constant of a constant-only parameter (the parser guarantees the kind). */
function constant(p: FunctionParam | undefined): string {
  return p?.kind === 'constant' ? p.value : '';
}

/** Applies `f` to every value; unresolved and deleted inputs pass through untouched. */
function eachValue(input: PipelineValue, f: (v: string) => readonly string[]): PipelineValue {
  if (input === DELETED) return DELETED;
  const out: string[] = [];
  for (const v of input) out.push(...f(v));
  return out;
}

function mapping(f: (v: string) => string): FunctionSpec {
  return { minParams: 0, maxParams: 0, placeholderParams: false, signature: '()', build: () => (input) => eachValue(input, (v) => [f(v)]) };
}

/** Java's String.trim: strips characters up to U+0020 at both ends. */
function javaTrim(v: string): string {
  let start = 0;
  let end = v.length;
  while (start < end && v.charCodeAt(start) <= 0x20) start++;
  while (end > start && v.charCodeAt(end - 1) <= 0x20) end--;
  return v.slice(start, end);
}

/** Java's URLEncoder (form encoding): like encodeURIComponent, but space as '+' and !'()~ encoded. */
function formEncode(v: string): string {
  return encodeURIComponent(v)
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function formDecode(v: string): readonly string[] {
  try {
    return [decodeURIComponent(v.replace(/\+/g, ' '))];
  } catch {
    return []; // a broken escape resolves to nothing rather than failing the whole request
  }
}

/**
 * Splits on the literal separator. Ditto hands the separator to Java's regex-based split; a
 * literal split is what the documentation promises. Trailing empty parts are dropped, as in Java.
 */
function splitLiteral(v: string, separator: string): string[] {
  if (!v.includes(separator)) return [v];
  const parts = v.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

const likeCache = new Map<string, RegExp>();

/** `like`: `*` any characters, `?` one character, `|` separates alternatives; the whole value must match. */
function like(value: string, pattern: string): boolean {
  let re = likeCache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .split('|')
      .map((alt) => alt.replace(/[.+^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'))
      .join('|');
    re = new RegExp(`^(?:${body})$`, 'u');
    if (likeCache.size > 256) likeCache.clear();
    likeCache.set(pattern, re);
  }
  return re.test(value);
}

type FilterFn = (value: string, compared?: string) => boolean;

const FILTERS: Readonly<Record<string, FilterFn>> = {
  eq: (v, c) => c !== undefined && v === c,
  ne: (v, c) => c !== undefined && v !== c,
  like: (v, c) => c !== undefined && like(v, c),
  // exists(v) / exists(v, 'true'|'false'): whether the value is non-empty.
  exists: (v, c) => (c === undefined || c.toLowerCase() === 'true') !== (v === ''),
};

/** Whether any filter value satisfies the condition against any compared value (Ditto's rules for empty lists). */
function conditionHolds(fn: FilterFn, filterValues: readonly string[], compared: readonly string[] | undefined): boolean {
  if (compared === undefined) return filterValues.some((f) => fn(f));
  if (filterValues.length > 0 && compared.length > 0) return filterValues.some((f) => compared.some((c) => fn(f, c)));
  if (filterValues.length === 0 && compared.length === 0) return fn('', '');
  if (filterValues.length === 0) return compared.some((c) => fn('', c));
  return filterValues.some((f) => fn(f, ''));
}

/**
 * fn:filter(rqlFunction, comparedValue) keeps each previous value that satisfies the condition;
 * fn:filter(filterValue, 'exists') and fn:filter(filterValue, rqlFunction, comparedValue) keep the
 * previous value as a whole when the condition on filterValue holds.
 */
function filterStage(params: readonly FunctionParam[]): PipelineStage {
  const [p0, p1, p2] = params;
  return (input, lookup) => {
    if (input === DELETED || input.length === 0) return input;
    const v0 = p0 === undefined ? [] : paramValues(p0, lookup);
    const v1 = p1 === undefined ? [] : paramValues(p1, lookup);
    if (p2 === undefined && v1[0] !== 'exists') {
      const fn = FILTERS[v0[0] ?? ''];
      return fn === undefined ? [] : input.filter((v) => v1.some((c) => fn(v, c)));
    }
    const fn = FILTERS[v1[0] ?? ''];
    const compared = p2 === undefined ? undefined : paramValues(p2, lookup);
    return fn !== undefined && conditionHolds(fn, v0, compared) ? input : [];
  };
}

export const PIPELINE_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  filter: { minParams: 2, maxParams: 3, placeholderParams: true, signature: '(filterValue, rqlFunction, comparedValue)', build: filterStage },
  default: {
    minParams: 1,
    maxParams: 1,
    placeholderParams: true,
    signature: '(defaultValue)',
    build: ([p]) => (input, lookup) => (input !== DELETED && input.length === 0 && p !== undefined ? paramValues(p, lookup) : input),
  },
  'substring-before': {
    minParams: 1,
    maxParams: 1,
    placeholderParams: false,
    signature: '(givenString)',
    build: ([p]) => {
      const s = constant(p);
      return (input) => eachValue(input, (v) => (v.includes(s) ? [v.slice(0, v.indexOf(s))] : []));
    },
  },
  'substring-after': {
    minParams: 1,
    maxParams: 1,
    placeholderParams: false,
    signature: '(givenString)',
    build: ([p]) => {
      const s = constant(p);
      return (input) => eachValue(input, (v) => (v.includes(s) ? [v.slice(v.indexOf(s) + s.length)] : []));
    },
  },
  lower: mapping((v) => v.toLowerCase()),
  upper: mapping((v) => v.toUpperCase()),
  trim: mapping(javaTrim),
  'url-encode': mapping(formEncode),
  'url-decode': { minParams: 0, maxParams: 0, placeholderParams: false, signature: '()', build: () => (input) => eachValue(input, formDecode) },
  'base64-encode': mapping((v) => Buffer.from(v, 'utf8').toString('base64')),
  'base64-decode': mapping((v) => Buffer.from(v, 'base64').toString('utf8')),
  delete: { minParams: 0, maxParams: 0, placeholderParams: false, signature: '()', build: () => () => DELETED },
  replace: {
    minParams: 2,
    maxParams: 2,
    placeholderParams: true,
    signature: '(from, to)',
    build: ([from, to]) => (input, lookup) => {
      const f = from === undefined ? '' : (paramValues(from, lookup)[0] ?? '');
      const t = to === undefined ? undefined : paramValues(to, lookup)[0];
      if (t === undefined) return input === DELETED ? DELETED : [];
      // A replacer function, so that '$&' and friends in `to` stay literal (Java's String.replace).
      return eachValue(input, (v) => [v.replaceAll(f, () => t)]);
    },
  },
  split: {
    minParams: 1,
    maxParams: 1,
    placeholderParams: false,
    signature: '(separator)',
    build: ([p]) => {
      const s = constant(p);
      // Ditto splits whatever values there are; a deleted input has none, so it ends unresolved.
      return (input) => (input === DELETED ? [] : input.flatMap((v) => splitLiteral(v, s)));
    },
  },
  join: {
    minParams: 1,
    maxParams: 1,
    placeholderParams: false,
    signature: '(delimiter)',
    build: ([p]) => {
      const s = constant(p);
      return (input) => (input === DELETED || input.length === 0 ? [] : [input.join(s)]);
    },
  },
};
