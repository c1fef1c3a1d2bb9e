// At(t[, duration]) / Context(…) arguments (docs/architecture.md#queries): t is epoch seconds (ms when > 2^31), an
// RFC 1123 / ISO 8601 string, a relative Go-style duration ('-5m', '-1h30m') or NOW.
import type { RawValue, TimeSpec } from './ast.ts';
import { QueryError } from './errors.ts';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_SPAN_MS = 100 * 365 * 86_400_000;

/** Go time.ParseDuration syntax (plus 'd'): '-1h30m', '5m', '1.5h'. Undefined when not one. */
export function parseDurationMs(s: string): number | undefined {
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h|d))+$/.exec(s.trim());
  if (!m) return undefined;
  let total = 0;
  for (const part of s.trim().matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

function timeOf(v: RawValue): TimeSpec['at'] {
  if (v.kind === 'keyword' && v.name === 'NOW') return { kind: 'now' };
  if (v.kind === 'number') {
    if (v.value < 0) throw QueryError.invalid(v.pos, 'At() time must not be negative');
    // Epoch seconds until 2^31 (year 2038), milliseconds above: the convention Skydive clients use.
    return { kind: 'absolute', ms: v.value > 2 ** 31 ? v.value : v.value * 1000 };
  }
  if (v.kind === 'string') {
    if (v.value.trim().toLowerCase() === 'now') return { kind: 'now' };
    const rel = parseDurationMs(v.value);
    if (rel !== undefined) {
      if (Math.abs(rel) > MAX_SPAN_MS) throw QueryError.invalid(v.pos, 'At() offset is out of range');
      return { kind: 'relative', offsetMs: rel };
    }
    const ms = Date.parse(v.value);
    if (Number.isNaN(ms)) {
      throw QueryError.invalid(v.pos, `At() time '${v.value.slice(0, 40)}' is neither RFC 1123, ISO 8601, a duration like '-5m' nor NOW`);
    }
    return { kind: 'absolute', ms };
  }
  throw QueryError.invalid(v.pos, 'At() takes a time: epoch seconds, a date string, a relative duration or NOW');
}

function durationOf(v: RawValue): number {
  let ms: number | undefined;
  if (v.kind === 'number') ms = v.value * 1000;
  else if (v.kind === 'string') ms = parseDurationMs(v.value);
  if (ms === undefined) throw QueryError.invalid(v.pos, "At() duration must be seconds or a duration like '5m'");
  if (ms < 0 || ms > MAX_SPAN_MS) throw QueryError.invalid(v.pos, 'At() duration must be between 0 and 100 years');
  return ms;
}

export function timeSpec(args: RawValue[], pos: number): TimeSpec {
  const [t, d] = args;
  if (!t || args.length > 2) throw QueryError.invalid(pos, 'At() takes a time and an optional duration');
  return { at: timeOf(t), durationMs: d ? durationOf(d) : 0, pos };
}

/** Resolves a spec to an absolute instant (ms) given "now". */
export function resolveInstant(spec: TimeSpec, now: number): number {
  const a = spec.at;
  return a.kind === 'now' ? now : a.kind === 'relative' ? now + a.offsetMs : a.ms;
}
