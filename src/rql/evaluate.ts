import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.ts';
import { isTimePlaceholder, type RqlFilter, type RqlProperty, type RqlSingleOp, type RqlTimePlaceholder, type RqlValue } from './ast.ts';
import { someAt, someScalar } from './json-walk.ts';
import { compileLike } from './like.ts';
import { resolveTimePlaceholder } from './time-placeholder.ts';

// In-memory evaluation of a filter against a thing's JSON view (regular fields plus the special
// fields thingId, policyId, _namespace, _revision, _created, _modified, _metadata).
// Semantics follow Ditto's documented search behaviour [ditto: basic-rql, basic-search]:
// - values compare only with values of the same JSON type, never converted (1 is not "1");
//   gt/ge/lt/le order numbers, strings (by UTF-16 code units) and booleans (false < true);
// - a comparison holds if any value the property reaches satisfies it (arrays, feature wildcard);
// - ne(p,v) holds where p exists and none of its values equals v; not(q) is plain negation;
// - exists(p) holds where p is present, even as null; empty(p) where p is absent or a value it
//   reaches is null, "", [] or {}.
// A filter is compiled to closures once (cached per AST object) and then evaluated many times.

export interface RqlEvaluateOptions {
  /** The clock for time placeholders; evaluating a filter that uses them without it throws. */
  readonly now?: () => Date;
  /** Resolves placeholder properties such as `topic:action` in event filters; undefined = absent. */
  readonly resolvePlaceholder?: (prefix: string, name: string) => string | undefined;
}

export type RqlPredicate = (thing: JsonObject, options?: RqlEvaluateOptions) => boolean;

type Scalar = string | number | boolean | null;

interface Env {
  readonly thing: JsonObject;
  readonly options: RqlEvaluateOptions;
  /** Read once per evaluation so that every placeholder sees the same instant. */
  now: Date | undefined;
}

type Test = (env: Env) => boolean;
type Reach = (env: Env, test: (v: JsonValue) => boolean) => boolean;

const compiled = new WeakMap<RqlFilter, Test>();
const present = (): boolean => true;

export function compileRqlFilter(filter: RqlFilter): RqlPredicate {
  const test = compiledTest(filter);
  return (thing, options = {}) => test({ thing, options, now: undefined });
}

export function evaluateRqlFilter(filter: RqlFilter, thing: JsonObject, options: RqlEvaluateOptions = {}): boolean {
  return compiledTest(filter)({ thing, options, now: undefined });
}

function compiledTest(filter: RqlFilter): Test {
  let test = compiled.get(filter);
  if (test === undefined) {
    test = compile(filter);
    compiled.set(filter, test);
  }
  return test;
}

function compile(f: RqlFilter): Test {
  switch (f.op) {
    case 'and': {
      const parts = f.filters.map(compile);
      return (env) => {
        for (const t of parts) if (!t(env)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = f.filters.map(compile);
      return (env) => {
        for (const t of parts) if (t(env)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compile(f.filter);
      return (env) => !inner(env);
    }
    case 'exists': {
      const reach = reacher(f.property);
      return (env) => reach(env, present);
    }
    case 'empty': {
      const reach = reacher(f.property);
      return (env) => {
        let found = false;
        const anyEmpty = reach(env, (v) => {
          found = true;
          return isEmptyValue(v);
        });
        return anyEmpty || !found;
      };
    }
    case 'like':
    case 'ilike': {
      const reach = reacher(f.property);
      const matches = compileLike(f.pattern, f.op === 'ilike');
      const scalarTest = (x: Scalar): boolean => typeof x === 'string' && matches(x);
      const leafTest = (v: JsonValue): boolean => someScalar(v, scalarTest);
      return (env) => reach(env, leafTest);
    }
    case 'in':
      return compileIn(reacher(f.property), f.values);
    default:
      return compileSingle(f.op, reacher(f.property), f.value);
  }
}

function compileSingle(op: RqlSingleOp, reach: Reach, value: RqlValue): Test {
  const scalarTestFor = (v: Scalar): ((x: Scalar) => boolean) => (op === 'eq' || op === 'ne' ? (x) => x === v : orderTest(op, v));
  const run = (env: Env, leafTest: (v: JsonValue) => boolean): boolean =>
    op === 'ne' ? !reach(env, leafTest) && reach(env, present) : reach(env, leafTest);
  if (!isTimePlaceholder(value)) {
    const scalarTest = scalarTestFor(value);
    const leafTest = (v: JsonValue): boolean => someScalar(v, scalarTest);
    return (env) => run(env, leafTest);
  }
  return (env) => {
    const resolved = resolveTimePlaceholder(value, nowOf(env));
    if (resolved === undefined) return false;
    const scalarTest = scalarTestFor(resolved);
    return run(env, (v) => someScalar(v, scalarTest));
  };
}

function orderTest(op: 'gt' | 'ge' | 'lt' | 'le', v: Scalar): (x: Scalar) => boolean {
  if (v === null) return () => false;
  const holds = (c: number): boolean => (op === 'gt' ? c > 0 : op === 'ge' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0);
  switch (typeof v) {
    case 'number':
      return (x) => typeof x === 'number' && holds(x < v ? -1 : x > v ? 1 : 0);
    case 'string':
      return (x) => typeof x === 'string' && holds(x < v ? -1 : x > v ? 1 : 0);
    case 'boolean':
      return (x) => typeof x === 'boolean' && holds(Number(x) - Number(v));
  }
}

function compileIn(reach: Reach, values: readonly RqlValue[]): Test {
  const constants = new Set<Scalar>();
  const placeholders: RqlTimePlaceholder[] = [];
  for (const v of values) {
    if (isTimePlaceholder(v)) placeholders.push(v);
    else constants.add(v);
  }
  const inConstants = (x: Scalar): boolean => constants.has(x);
  const leafTest = (v: JsonValue): boolean => someScalar(v, inConstants);
  if (placeholders.length === 0) return (env) => reach(env, leafTest);
  return (env) => {
    const resolved = new Set<Scalar>(constants);
    for (const p of placeholders) {
      const r = resolveTimePlaceholder(p, nowOf(env));
      if (r !== undefined) resolved.add(r);
    }
    return reach(env, (v) => someScalar(v, (x) => resolved.has(x)));
  };
}

function reacher(p: RqlProperty): Reach {
  if (p.kind === 'placeholder') {
    return (env, test) => {
      const v = env.options.resolvePlaceholder?.(p.prefix, p.name);
      return v !== undefined && test(v);
    };
  }
  const path = p.pointer;
  if (path.length === 1 && path[0] === '_namespace') return (env, test) => {
    const ns = namespaceOf(env.thing);
    return ns !== undefined && test(ns);
  };
  const wildcardAt = path[0] === 'features' && path[1] === '*' ? 1 : -1;
  return (env, test) => someAt(env.thing, path, wildcardAt, test);
}

/** The view's `_namespace`, or, when the view lacks it (e.g. built from an event), the thing ID's. */
function namespaceOf(thing: JsonObject): JsonValue | undefined {
  if (Object.hasOwn(thing, '_namespace')) return thing['_namespace'];
  const id = thing['thingId'];
  if (typeof id !== 'string') return undefined;
  const colon = id.indexOf(':');
  return colon < 0 ? undefined : id.slice(0, colon);
}

function isEmptyValue(v: JsonValue): boolean {
  if (v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return isJsonObject(v) && Object.keys(v).length === 0;
}

function nowOf(env: Env): Date {
  if (env.now === undefined) {
    const clock = env.options.now;
    if (clock === undefined) throw new Error('evaluating an RQL time placeholder needs a clock (options.now)');
    env.now = clock();
  }
  return env.now;
}
