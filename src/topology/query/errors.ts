// Typed query errors: every bad query becomes one of these (an HTTP 4xx), never a crash.

export type QueryErrorCode =
  | 'syntax' // lexer/parser: position + what was expected
  | 'invalid' // well-formed but wrong arity, argument type, step order
  | 'too_long' // query text over the length limit
  | 'limit' // evaluation visited or returned too many elements
  | 'timeout' // evaluation ran past its deadline
  | 'unsupported'; // a known step that this build does not evaluate (Flows, Sockets)

const STATUS: Record<QueryErrorCode, number> = {
  syntax: 400,
  invalid: 400,
  too_long: 413,
  limit: 422,
  timeout: 422,
  unsupported: 400,
};

export class QueryError extends Error {
  override readonly name = 'QueryError';
  readonly code: QueryErrorCode;
  /** 0-based character offset in the query text (-1 when the error has no single place). */
  readonly position: number;
  /** What the parser expected there, e.g. "')' or ','" (syntax errors only). */
  readonly expected: string | undefined;
  /** What it found instead, e.g. "'Foo'" or "end of input". */
  readonly found: string | undefined;
  /** The HTTP status the API should answer with. */
  readonly status: number;

  constructor(code: QueryErrorCode, message: string, position = -1, expected?: string, found?: string) {
    super(position >= 0 ? `at ${position}: ${message}` : message);
    this.code = code;
    this.position = position;
    this.expected = expected;
    this.found = found;
    this.status = STATUS[code];
  }

  static syntax(position: number, expected: string, found: string): QueryError {
    return new QueryError('syntax', `expected ${expected} but found ${found}`, position, expected, found);
  }

  static invalid(position: number, message: string): QueryError {
    return new QueryError('invalid', message, position);
  }
}

export function isQueryError(e: unknown): e is QueryError {
  return e instanceof QueryError;
}
