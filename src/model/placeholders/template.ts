import { DittoError } from '../errors/index.ts';
import { DELETED, PIPELINE_FUNCTIONS, type FunctionParam, type PipelineStage, type PipelineValue, type PlaceholderLookup } from './pipeline-functions.ts';

// Templates such as `{{ jwt:sub }}/{{ jwt:groups | fn:split(',') | fn:lower() }}`
// [ditto: basic-placeholders]. A template is compiled once (at start, so configuration mistakes
// surface there) and resolved per request against a lookup of placeholder values.

/** Ditto allows ten functions after the placeholder. */
const MAX_FUNCTIONS = 10;
/** Bounds the cross product of several multi-valued placeholders in one template. */
const MAX_VALUES = 1000;

export interface CompiledTemplate {
  readonly source: string;
  /** The resolved values (several when a placeholder has several), none when unresolved, or DELETED. */
  resolve(lookup: PlaceholderLookup): PipelineValue;
}

interface Pipeline {
  /** The placeholder the pipeline starts with; undefined when it starts with a function. */
  readonly input: { readonly prefix: string; readonly name: string } | undefined;
  readonly stages: readonly PipelineStage[];
}

type Part = string | Pipeline;

function unresolvable(expression: string): DittoError {
  return new DittoError('placeholder:unresolved', { placeholder: expression });
}

/** Splits at `|` outside single- or double-quoted strings; a backslash escapes a quote inside one. */
function splitStages(expression: string): string[] {
  const stages: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote !== undefined) {
      if (c === '\\' && expression[i + 1] === quote) i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '|') {
      stages.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (quote !== undefined) throw unresolvable(expression);
  stages.push(expression.slice(start).trim());
  return stages;
}

const PLACEHOLDER_PARAM = /^\w+:[^,\s]+$/;

function parsePlaceholder(text: string, prefixes: ReadonlySet<string>, expression: string): { prefix: string; name: string } {
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? '' : text.slice(0, colon).trim();
  const name = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (!prefixes.has(prefix) || name === '') throw unresolvable(expression);
  return { prefix, name };
}

/** Parses `('a', "b", header:x)` into parameters; undefined when it is not a parameter list. */
function parseParams(text: string, prefixes: ReadonlySet<string>, expression: string): FunctionParam[] | undefined {
  if (!text.startsWith('(') || !text.endsWith(')')) return undefined;
  const inner = text.slice(1, -1);
  const params: FunctionParam[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < inner.length && /\s/.test(inner[i] ?? '')) i++;
  };
  skipSpace();
  if (i === inner.length) return params;
  for (;;) {
    skipSpace();
    const q = inner[i];
    if (q === "'" || q === '"') {
      let j = i + 1;
      while (j < inner.length && !(inner[j] === q && inner[j - 1] !== '\\')) j++;
      if (j >= inner.length) return undefined;
      params.push({ kind: 'constant', value: inner.slice(i + 1, j) });
      i = j + 1;
    } else {
      let j = i;
      while (j < inner.length && inner[j] !== ',') j++;
      const token = inner.slice(i, j).trim();
      if (!PLACEHOLDER_PARAM.test(token)) return undefined;
      params.push({ kind: 'placeholder', ...parsePlaceholder(token, prefixes, expression) });
      i = j;
    }
    skipSpace();
    if (i === inner.length) return params;
    if (inner[i] !== ',') return undefined;
    i++;
  }
}

function compileFunction(stage: string, prefixes: ReadonlySet<string>, expression: string): PipelineStage {
  const open = stage.indexOf('(');
  const name = stage.slice('fn:'.length, open < 0 ? stage.length : open).trim();
  const spec = PIPELINE_FUNCTIONS[name];
  if (spec === undefined || open < 0) throw new DittoError('placeholder:function.unknown', { function: stage });
  const paramText = stage.slice(open).trim();
  const params = parseParams(paramText, prefixes, expression);
  const fits =
    params !== undefined &&
    params.length >= spec.minParams &&
    params.length <= spec.maxParams &&
    (spec.placeholderParams || params.every((p) => p.kind === 'constant'));
  if (!fits) throw new DittoError('placeholder:function.signature.invalid', { function: name, params: paramText, signature: spec.signature });
  return spec.build(params);
}

function compilePipeline(expression: string, prefixes: ReadonlySet<string>): Pipeline {
  const stages = splitStages(expression);
  if (stages.some((s) => s === '')) throw unresolvable(expression);
  if (stages.length > MAX_FUNCTIONS + 1) throw new DittoError('placeholder:function.too.complex', { max: MAX_FUNCTIONS });
  const first = stages[0] ?? '';
  const startsWithFunction = first.startsWith('fn:');
  const input = startsWithFunction ? undefined : parsePlaceholder(first, prefixes, expression);
  const functions = startsWithFunction ? stages : stages.slice(1);
  return {
    input,
    stages: functions.map((s) => {
      if (!s.startsWith('fn:')) throw new DittoError('placeholder:function.unknown', { function: s });
      return compileFunction(s, prefixes, expression);
    }),
  };
}

/** Splits a template into literal text and `{{ ... }}` pipelines (each ends at the first `}}`). */
function parseParts(source: string, prefixes: ReadonlySet<string>): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (;;) {
    const open = source.indexOf('{{', at);
    const close = open < 0 ? -1 : source.indexOf('}}', open + 2);
    if (close < 0) break;
    if (open > at) parts.push(source.slice(at, open));
    parts.push(compilePipeline(source.slice(open + 2, close).trim(), prefixes));
    at = close + 2;
  }
  if (at < source.length) parts.push(source.slice(at));
  return parts;
}

function runPipeline(p: Pipeline, lookup: PlaceholderLookup): PipelineValue {
  let value: PipelineValue = p.input === undefined ? [] : lookup(p.input.prefix, p.input.name);
  for (const stage of p.stages) value = stage(value, lookup);
  return value;
}

/**
 * Compiles a template; `prefixes` are the placeholder prefixes the scope knows (e.g. `jwt`).
 * Throws the `placeholder:*` error Ditto would raise for a malformed expression.
 */
export function compileTemplate(source: string, prefixes: ReadonlySet<string>): CompiledTemplate {
  const parts = parseParts(source, prefixes);
  const resolve = (lookup: PlaceholderLookup): PipelineValue => {
    const elements = parts.map((part) => (typeof part === 'string' ? [part] : runPipeline(part, lookup)));
    if (elements.length === 0) return [''];
    if (elements.every((e) => e === DELETED)) return DELETED;
    // Several values in one place multiply out: 'a{{x}}' with x = [1, 2] gives ['a1', 'a2'].
    // A deleted part contributes nothing; an unresolved part leaves nothing.
    let results: string[] = [''];
    for (const e of elements) {
      if (e === DELETED) continue;
      const next: string[] = [];
      for (const r of results) for (const v of e) if (next.length < MAX_VALUES) next.push(r + v);
      results = next;
    }
    return results;
  };
  return { source, resolve };
}

/** The values of a template, or none when it is unresolved or deleted. */
export function templateValues(t: CompiledTemplate, lookup: PlaceholderLookup): readonly string[] {
  const v = t.resolve(lookup);
  return v === DELETED ? [] : v;
}
