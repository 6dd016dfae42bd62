import type { Pointer } from '../model/json-pointer.ts';
import type { RqlOp, RqlProperty } from './ast.ts';
import { clip } from './scanner.ts';

// Which properties a filter may name. Ditto turns each property into a field expression and
// rejects names it does not know with rql.expression.invalid, so Doppel does the same at parse
// time. [ditto: basic-search searchable fields] (rql/query FieldExpressionUtil,
// ThingsFieldExpressionFactoryImpl, search.conf simple-field-mappings)

/** Top-level fields that are compared as a whole; `namespace` is the search name of `_namespace`. */
const SIMPLE_FIELDS: ReadonlySet<string> = new Set([
  'thingId',
  'policyId',
  '_namespace',
  '_revision',
  '_created',
  '_modified',
  'definition',
]);

/** Ditto's placeholder syntax: a lower-case prefix, a colon, a non-empty name. */
const PLACEHOLDER = /^([a-z]+):([\s\S]+)$/;

/**
 * Classifies decoded property text. Returns the property, or a reason why it is not acceptable
 * for the operator.
 */
export function toProperty(text: string, op: RqlOp, placeholderPrefixes: ReadonlySet<string>): RqlProperty | string {
  const body = text.startsWith('/') ? text.slice(1) : text;
  const placeholder = PLACEHOLDER.exec(body);
  if (placeholder !== null && placeholderPrefixes.has(placeholder[1] ?? '')) {
    return { kind: 'placeholder', prefix: placeholder[1] ?? '', name: placeholder[2] ?? '' };
  }
  const trimmed = body.endsWith('/') ? body.slice(0, -1) : body;
  if (trimmed === '') return 'the property must not be empty';
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '')) return `the property '${clip(text)}' contains an empty segment (double slash)`;
  if (segments[0] === 'namespace' && segments.length === 1) segments[0] = '_namespace';
  const problem = fieldProblem(segments, op === 'exists' || op === 'empty');
  return problem === undefined ? { kind: 'field', pointer: segments } : problem;
}

function fieldProblem(p: Pointer, existence: boolean): string | undefined {
  const [root, second, third] = p;
  const unknown = `unknown property '${clip(p.join('/'))}'`;
  if (root === 'attributes') return p.length >= 2 ? undefined : `'attributes' needs a key after it, e.g. attributes/location`;
  if (root === '_metadata') return undefined;
  if (root === 'features') {
    if (second === undefined) return `'features' needs a feature ID after it, e.g. features/lamp`;
    if (third === undefined) return existence ? undefined : `only exists and empty accept a whole feature ('${clip(p.join('/'))}')`;
    if (third === 'definition') return p.length === 3 ? undefined : unknown;
    if (third !== 'properties' && third !== 'desiredProperties') return unknown;
    if (p.length === 3 && !existence) return `only exists and empty accept all ${third} at once ('${clip(p.join('/'))}')`;
    return undefined;
  }
  if (root !== undefined && SIMPLE_FIELDS.has(root)) return p.length === 1 ? undefined : unknown;
  return `${unknown}; expected attributes/..., features/..., _metadata/..., namespace or one of ${[...SIMPLE_FIELDS].join(', ')}`;
}
