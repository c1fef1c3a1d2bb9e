// Recursive-descent parser: query := G ('.' step)* ; step := NAME '(' [arg (',' arg)*] ')' ;
// arg := STRING | NUMBER | NOW | ASC | DESC | true | false | NAME '(' args ')'.
// Recursion is bounded by MAX_DEPTH, so pathological nesting is a QueryError, not a stack overflow.
import type { RawQuery, RawStep, RawValue } from './ast.ts';
import { QueryError } from './errors.ts';
import { describeToken, tokenize, type Token } from './lexer.ts';

export const LIMITS = {
  maxQueryLength: 64 * 1024,
  /** Nested calls inside one step's arguments (Metadata(k, NE(v)) is depth 2). */
  maxDepth: 8,
  maxArgs: 1024,
  maxSteps: 64,
};

/** Steps after G, by lower-case name → canonical spelling. */
export const STEP_NAMES = [
  'V',
  'E',
  'At',
  'Context',
  'Has',
  'HasKey',
  'HasNot',
  'HasEither',
  'Out',
  'In',
  'Both',
  'OutE',
  'InE',
  'BothE',
  'OutV',
  'InV',
  'BothV',
  'Dedup',
  'Count',
  'Values',
  'Keys',
  'Sort',
  'Range',
  'Limit',
  'ShortestPathTo',
  'SubGraph',
  'Descendants',
  'Ascendants',
  'Flows',
  'FlowPath',
  'Sockets',
  'Metrics',
  'Aggregates',
];
/** Calls allowed as arguments: predicates and Metadata(…). */
const CALL_NAMES = ['NE', 'Within', 'Without', 'Regex', 'Lt', 'Gt', 'Lte', 'Gte', 'Inside', 'Outside', 'Between', 'Ipv4Range', 'Metadata'];

const stepByLower = new Map(STEP_NAMES.map((s) => [s.toLowerCase(), s]));
const callByLower = new Map(CALL_NAMES.map((s) => [s.toLowerCase(), s]));
const KEYWORDS = new Set(['now', 'asc', 'desc', 'true', 'false']);

export function parseRaw(text: string): RawQuery {
  if (typeof text !== 'string') throw QueryError.invalid(-1, 'the query must be a string');
  if (text.length > LIMITS.maxQueryLength) {
    throw new QueryError(
      'too_long',
      `query is ${text.length} characters long; the limit is ${LIMITS.maxQueryLength}`,
      LIMITS.maxQueryLength,
    );
  }
  return new Parser(text, tokenize(text)).query();
}

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private peek(): Token {
    return this.toks[this.i] ?? this.toks[this.toks.length - 1]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.i++;
    return t;
  }
  private fail(expected: string, t: Token = this.peek()): never {
    throw QueryError.syntax(t.pos, expected, describeToken(t, this.src));
  }
  private expect(type: Token['type'], expected: string): Token {
    const t = this.peek();
    if (t.type !== type) this.fail(expected, t);
    return this.next();
  }

  query(): RawQuery {
    const g = this.peek();
    if (g.type !== 'ident' || g.text.toLowerCase() !== 'g') this.fail("'G'");
    this.next();
    const steps: RawStep[] = [];
    while (this.peek().type === '.') {
      this.next();
      if (steps.length >= LIMITS.maxSteps) {
        throw QueryError.invalid(this.peek().pos, `too many steps (limit ${LIMITS.maxSteps})`);
      }
      steps.push(this.step());
    }
    const end = this.peek();
    if (end.type !== 'eof') this.fail(steps.length === 0 ? "'.'" : "'.' or end of input", end);
    if (steps.length === 0) this.fail("'.V()' or '.E()'", end);
    return { text: this.src, steps };
  }

  private step(): RawStep {
    const t = this.peek();
    if (t.type !== 'ident') this.fail('a step name', t);
    const name = stepByLower.get(t.text.toLowerCase());
    if (!name) this.fail('a step name (V, E, Has, Out, In, Count, …)', t);
    this.next();
    this.expect('(', "'('");
    const args = this.args(0);
    return { name, args, pos: t.pos };
  }

  /** After '(' : arguments up to and including ')'. */
  private args(depth: number): RawValue[] {
    const args: RawValue[] = [];
    if (this.peek().type === ')') {
      this.next();
      return args;
    }
    for (;;) {
      if (args.length >= LIMITS.maxArgs) {
        throw QueryError.invalid(this.peek().pos, `too many arguments (limit ${LIMITS.maxArgs})`);
      }
      args.push(this.value(depth));
      const t = this.next();
      if (t.type === ')') return args;
      if (t.type !== ',') this.fail("')' or ','", t);
    }
  }

  private value(depth: number): RawValue {
    const t = this.peek();
    switch (t.type) {
      case 'string':
        this.next();
        return { kind: 'string', value: t.text, pos: t.pos };
      case 'number': {
        this.next();
        const value = Number(t.text);
        if (!Number.isFinite(value)) throw QueryError.invalid(t.pos, `number ${describeToken(t, this.src)} is out of range`);
        return { kind: 'number', value, pos: t.pos, raw: t.text };
      }
      case 'ident': {
        const lower = t.text.toLowerCase();
        const afterIsParen = this.toks[this.i + 1]?.type === '(';
        if (!afterIsParen && KEYWORDS.has(lower)) {
          this.next();
          if (lower === 'true' || lower === 'false') return { kind: 'bool', value: lower === 'true', pos: t.pos };
          return { kind: 'keyword', name: lower.toUpperCase() as 'NOW' | 'ASC' | 'DESC', pos: t.pos };
        }
        const name = callByLower.get(lower);
        if (!name || !afterIsParen) this.fail('a value (string, number, NOW, ASC, DESC) or a predicate (NE, Within, Regex, …)', t);
        if (depth + 1 > LIMITS.maxDepth) throw QueryError.invalid(t.pos, `nesting deeper than ${LIMITS.maxDepth} calls`);
        this.next();
        this.next(); // '('
        return { kind: 'call', name, args: this.args(depth + 1), pos: t.pos };
      }
      default:
        return this.fail('a value (string, number, NOW, ASC, DESC) or a predicate (NE, Within, Regex, …)', t);
    }
  }
}
