// Placeholder templates and `fn:` pipelines [ditto: basic-placeholders], named one by one.

export { DELETED, PIPELINE_FUNCTIONS } from './pipeline-functions.ts';
export type { PipelineValue, PlaceholderLookup, FunctionParam, PipelineStage, FunctionSpec } from './pipeline-functions.ts';
export { compileTemplate, templateValues } from './template.ts';
export type { CompiledTemplate } from './template.ts';
export { jwtClaimValues, jwtLookup } from './jwt-placeholder.ts';
