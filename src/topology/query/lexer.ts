// Tokeniser for the Gremlin subset (docs/architecture.md#queries). Iterative, no regex backtracking on user text;
// every token carries its 0-based start offset for error messages.
import { QueryError } from './errors.ts';

export type TokenType = 'ident' | 'string' | 'number' | '.' | '(' | ')' | ',' | 'eof';

export interface Token {
  type: TokenType;
  /** Identifier name, decoded string content, or the number's source text. */
  text: string;
  pos: number;
  /** Source length of the token (for "found" excerpts). */
  len: number;
}

const MAX_FOUND = 24;

/** How a token is named in "but found …". */
export function describeToken(t: Token, src: string): string {
  if (t.type === 'eof') return 'end of input';
  let s = src.slice(t.pos, t.pos + Math.min(t.len, MAX_FOUND));
  if (t.len > MAX_FOUND) s += '…';
  return `'${s}'`;
}

const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c);
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === 46 || c === 40 || c === 41 || c === 44) {
      out.push({ type: src[i] as TokenType, text: src[i]!, pos: i, len: 1 });
      i++;
    } else if (isIdentStart(c)) {
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      out.push({ type: 'ident', text: src.slice(start, i), pos: start, len: i - start });
    } else if (isDigit(c) || ((c === 45 || c === 43) && i + 1 < n && isDigit(src.charCodeAt(i + 1)))) {
      i++;
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      if (i < n && src[i] === '.' && i + 1 < n && isDigit(src.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      if (i < n && (src[i] === 'e' || src[i] === 'E')) {
        let j = i + 1;
        if (j < n && (src[j] === '+' || src[j] === '-')) j++;
        if (j < n && isDigit(src.charCodeAt(j))) {
          i = j;
          while (i < n && isDigit(src.charCodeAt(i))) i++;
        }
      }
      if (i < n && isIdentStart(src.charCodeAt(i))) {
        throw QueryError.syntax(i, 'a digit, an operator or a separator', `'${src.slice(start, i + 1)}'`);
      }
      out.push({ type: 'number', text: src.slice(start, i), pos: start, len: i - start });
    } else if (c === 39 || c === 34) {
      i = readString(src, i, out);
    } else {
      throw QueryError.syntax(start, 'a step, a value or one of . ( ) ,', `'${src[start]}'`);
    }
  }
  out.push({ type: 'eof', text: '', pos: n, len: 0 });
  return out;
}

/** Reads a quoted string starting at `start` (the quote); returns the offset after it. */
function readString(src: string, start: number, out: Token[]): number {
  const quote = src[start]!;
  let i = start + 1;
  let value = '';
  let chunk = i;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === quote) {
      value += src.slice(chunk, i);
      out.push({ type: 'string', text: value, pos: start, len: i + 1 - start });
      return i + 1;
    }
    if (ch === '\\') {
      value += src.slice(chunk, i);
      const next = src[i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw QueryError.syntax(i, 'four hex digits after \\u', `'${src.slice(i, i + 6)}'`);
        value += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        // Unknown escapes keep their backslash so regexes like '10\.0\..*' read naturally.
        value += ESCAPES[next] ?? '\\' + next;
        i += 2;
      }
      chunk = i;
      continue;
    }
    i++;
  }
  throw QueryError.syntax(src.length, `closing ${quote} for the string opened at ${start}`, 'end of input');
}
