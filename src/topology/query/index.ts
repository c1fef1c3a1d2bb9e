// Public surface of the query engine (docs/architecture.md#queries).
export { parseQuery, runQuery, readerFor, type RunOptions } from './evaluate.ts';
export { QueryError, isQueryError, type QueryErrorCode } from './errors.ts';
export { compileElementFilter, type CompiledElementFilter } from './element-filter.ts';
export { chooseIndex } from './source.ts';
export { LIMITS as PARSE_LIMITS } from './parser.ts';
export { DEFAULT_LIMITS as EVAL_LIMITS } from './context.ts';
export type { Ast } from './ast.ts';
export type { QueryResult, NodeJson, EdgeJson } from './json.ts';
