// User regexes run on V8's backtracking engine, which a single exec cannot be interrupted in.
// Refuse the shapes that backtrack exponentially (nested unbounded quantifiers, quantified
// alternation, backreferences) instead of hoping the evaluation deadline catches them.
export const MAX_REGEX_LENGTH = 512;

interface Frame {
  repeats: boolean; // contains a quantified atom
  alt: boolean; // contains '|'
}

/** Returns a reason when the pattern is refused, undefined when it is acceptable. */
export function regexRisk(p: string): string | undefined {
  if (p.length > MAX_REGEX_LENGTH) return `longer than ${MAX_REGEX_LENGTH} characters`;
  const stack: Frame[] = [{ repeats: false, alt: false }];
  const top = () => stack[stack.length - 1]!;
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const nx = p[i + 1] ?? '';
      if (/[1-9]/.test(nx) || nx === 'k') return 'backreferences are not supported';
      i += 2;
      i = afterAtom(p, i, top());
    } else if (c === '[') {
      i++;
      if (p[i] === '^') i++;
      if (p[i] === ']') i++;
      while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
      i = afterAtom(p, i + 1, top());
    } else if (c === '(') {
      stack.push({ repeats: false, alt: false });
      i++;
      if (p[i] === '?') {
        if (p[i + 1] === '=' || p[i + 1] === '!') i += 2;
        else if (p[i + 1] === '<' && (p[i + 2] === '=' || p[i + 2] === '!')) i += 3;
        else if (p[i + 1] === '<') i = Math.max(i + 2, p.indexOf('>', i) + 1);
        else if (p[i + 1] === ':') i += 2;
      }
    } else if (c === ')') {
      const f = stack.length > 1 ? stack.pop()! : top();
      const q = quantifier(p, i + 1);
      if (q.repeating && (f.repeats || f.alt)) return 'a repeated group containing a quantifier or | (catastrophic backtracking)';
      top().repeats ||= f.repeats || q.len > 0;
      i += 1 + q.len;
    } else if (c === '|') {
      top().alt = true;
      i++;
    } else {
      i = afterAtom(p, i + 1, top());
    }
  }
  return undefined;
}

function afterAtom(p: string, i: number, frame: Frame): number {
  const q = quantifier(p, i);
  if (q.len > 0) frame.repeats = true;
  return i + q.len;
}

/** Quantifier at i: its length and whether it can repeat more than once. */
function quantifier(p: string, i: number): { len: number; repeating: boolean } {
  const c = p[i];
  let len = 0;
  let repeating = false;
  if (c === '*' || c === '+') {
    len = 1;
    repeating = true;
  } else if (c === '?') {
    len = 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 24));
    if (m) {
      len = m[0].length;
      const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
      repeating = max > 1;
    }
  }
  if (len > 0 && p[i + len] === '?') len++; // lazy variant
  return { len, repeating };
}
