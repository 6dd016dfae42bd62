import type { Pointer } from '../model/json-pointer.ts';
import type { RqlFilter } from './ast.ts';

/**
 * The thing fields a filter reads, each once, in order of first use. The caller must be allowed
 * to READ them for the filter to match [ditto: basic-conditional-requests permissions,
 * basic-search]. Placeholder properties are not thing fields and are left out; a feature
 * wildcard stays as the segment '*'; `namespace` appears as `_namespace`.
 */
export function rqlFilterFields(filter: RqlFilter): Pointer[] {
  const out: Pointer[] = [];
  const seen = new Set<string>();
  // Iterative, so that even hand-built filters deeper than the parser allows are fine.
  const stack: RqlFilter[] = [filter];
  for (let f = stack.pop(); f !== undefined; f = stack.pop()) {
    if ('filters' in f) {
      for (let i = f.filters.length - 1; i >= 0; i--) stack.push(f.filters[i] as RqlFilter);
    } else if ('filter' in f) {
      stack.push(f.filter);
    } else if (f.property.kind === 'field') {
      // Segments cannot contain '/', so the joined text identifies the pointer.
      const key = f.property.pointer.join('/');
      if (!seen.has(key)) {
        seen.add(key);
        out.push(f.property.pointer);
      }
    }
  }
  return out;
}
