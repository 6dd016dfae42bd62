import { DittoError } from '../../model/errors/index.ts';
import { parseRqlFilter } from '../../rql/index.ts';
import type { SortField } from '../../rql/sql/index.ts';

// The `option` parameter of a search [ditto: basic-rql options, httpapi-search]:
// a comma-separated list of sort(+a,-b), size(n), cursor(c) and the deprecated limit(offset,count).

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 200;

export interface SearchOptions {
  /** Undefined: not given (the default order, +thingId, applies). */
  readonly sort?: readonly SortField[];
  readonly size?: number;
  readonly cursor?: string;
  readonly limit?: { readonly offset: number; readonly count: number };
}

export function invalidOption(reason: string): DittoError {
  return new DittoError('thing-search:search.option.invalid', { reason });
}

/** Splits at commas outside parentheses. */
function topLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function nonNegativeInt(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw invalidOption(`${what} must be a non-negative integer, not '${text}'`);
  return Number(text.trim());
}

/** Parses the (joined) `option` parameter; throws 400 thing-search:search.option.invalid. */
export function parseSearchOptions(text: string | undefined): SearchOptions {
  const out: { sort?: SortField[]; size?: number; cursor?: string; limit?: { offset: number; count: number } } = {};
  if (text === undefined || text.trim() === '') return out;
  for (const part of topLevel(text)) {
    const m = /^([a-z]+)\(([\s\S]*)\)$/.exec(part);
    if (m === null) throw invalidOption(`'${part}' is not an option; expected sort(...), size(n), cursor(c) or limit(offset,count)`);
    const name = m[1] as string;
    const arg = m[2] as string;
    if (name in out) throw invalidOption(`the option '${name}' is given twice`);
    switch (name) {
      case 'sort':
        out.sort = topLevel(arg).map(sortField);
        break;
      case 'size': {
        const size = nonNegativeInt(arg, 'size');
        if (size < 1 || size > MAX_PAGE_SIZE) throw invalidOption(`size must be between 1 and ${MAX_PAGE_SIZE}, not ${size}`);
        out.size = size;
        break;
      }
      case 'cursor':
        if (arg.trim() === '') throw invalidOption('the cursor is empty');
        out.cursor = arg.trim();
        break;
      case 'limit': {
        const [offset, count, extra] = arg.split(',');
        if (offset === undefined || count === undefined || extra !== undefined) throw invalidOption('limit takes an offset and a count: limit(offset,count)');
        const c = nonNegativeInt(count, 'the limit count');
        if (c < 1 || c > MAX_PAGE_SIZE) throw invalidOption(`the limit count must be between 1 and ${MAX_PAGE_SIZE}, not ${c}`);
        out.limit = { offset: nonNegativeInt(offset, 'the limit offset'), count: c };
        break;
      }
      default:
        throw invalidOption(`unknown option '${name}'`);
    }
  }
  if (out.cursor !== undefined && out.limit !== undefined) throw invalidOption("the options 'cursor' and 'limit' must not be used together");
  if (out.size !== undefined && out.limit !== undefined) throw invalidOption("the options 'size' and 'limit' must not be used together");
  return out;
}

function sortField(text: string): SortField {
  const sign = text[0];
  if (sign !== '+' && sign !== '-') throw invalidOption(`a sort property needs '+' or '-' in front ('${text}'); write '+' as %2B in a URL`);
  const property = text.slice(1).trim();
  if (property === '' || /[,()"'\\]/.test(property)) throw invalidOption(`'${property}' cannot be sorted on`);
  let pointer;
  try {
    // The property rules of filters apply (known fields, no empty segments).
    const parsed = parseRqlFilter(`exists(${property})`);
    if (parsed.op !== 'exists' || parsed.property.kind !== 'field') throw new Error('not a field');
    pointer = parsed.property.pointer;
  } catch {
    throw invalidOption(`'${property}' cannot be sorted on`);
  }
  return { pointer, direction: sign === '+' ? 'asc' : 'desc' };
}
