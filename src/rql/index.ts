export type {
  RqlFilter,
  RqlLikeOp,
  RqlLogicalOp,
  RqlOp,
  RqlProperty,
  RqlPropertyOp,
  RqlSingleOp,
  RqlTimeOffset,
  RqlTimePlaceholder,
  RqlTimeUnit,
  RqlValue,
} from './ast.ts';
export { isTimePlaceholder } from './ast.ts';
export { parseRqlFilter, RQL_MAX_DEPTH, RQL_MAX_LENGTH } from './parser.ts';
export type { RqlParseOptions } from './parser.ts';
export { formatRqlFilter } from './format.ts';
export { compileRqlFilter, evaluateRqlFilter } from './evaluate.ts';
export type { RqlEvaluateOptions, RqlPredicate } from './evaluate.ts';
export { rqlFilterFields } from './fields.ts';
export { resolveTimePlaceholder } from './time-placeholder.ts';
