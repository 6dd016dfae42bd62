export { ERROR_CATALOGUE } from './catalogue.ts';
export type { ErrorCode, ErrorSpec } from './catalogue.ts';
export { DittoError, isDittoError } from './ditto-error.ts';
export type { DittoErrorJson, DittoErrorOptions, ErrorParams } from './ditto-error.ts';
