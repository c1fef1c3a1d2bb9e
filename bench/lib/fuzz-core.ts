// The fuzz harness shared by `npm run fuzz` (bench/fuzz.ts) and the suite (test/fuzz/): a target
// turns (seed, i) into one input deterministically, so any input replays from its number alone, and
// `exec` feeds it to the parser. `exec` returns 'ok' (accepted) or 'error' (rejected with one of the
// parser's documented typed errors, which it catches); anything that escapes it is a crash, and so
// is an input that takes longer than the per-input time cap.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { prng } from '../../src/util/prng.ts';

export type Outcome = 'ok' | 'error';

export interface FuzzSession {
  /** Input number i of the run seeded with `seed`; the same (seed, i) always gives the same bytes. */
  input(seed: number, i: number): Buffer;
  /** Feeds one input. Returns or resolves 'ok' / 'error'; a throw or rejection is a crash. */
  exec(input: Buffer): Outcome | Promise<Outcome>;
  /** Problems noticed outside exec (an uncaught error in a socket handler, a 500 frame): crashes. */
  takeCrashes?(): Error[];
  close?(): Promise<void> | void;
}

export interface FuzzTarget {
  /** `<parser>.<entry>.<strategy>`: `--target` matches it exactly or by a dotted prefix. */
  name: string;
  /** Share of the `npm run fuzz` budget: thousands of inputs in the default 10 M run (the weights add up to 10,000); slow targets get less. */
  weight: number;
  /** Inputs the suite's short run feeds it. */
  quick: number;
  /** Per-input time cap (default 2 s). */
  capMs?: number;
  /** What it feeds and how (docs/reliability.md lists these). */
  about: string;
  open(): Promise<FuzzSession> | FuzzSession;
}

export interface CrashReport {
  target: string;
  seed: number;
  index: number;
  kind: 'throw' | 'slow' | 'async';
  message: string;
  /** First line of the stack inside the project, to tell distinct crashes apart. */
  where: string;
  input: Buffer;
}

export interface TargetResult {
  fuzz: string;
  inputs: number;
  crashes: number;
  /** Distinct crashes (by message and place). */
  distinct: number;
  errors: number;
  ok: number;
  seconds: number;
}

/** Per-input random source: independent of every other input, so a run resumes or replays anywhere. */
export function inputRng(seed: number, i: number): () => number {
  return prng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i, 0xc2b2ae35)) >>> 0);
}

/** One value of a fast-check arbitrary for input (seed, i). */
export function sampleArb<T>(arb: fc.Arbitrary<T>, seed: number, i: number): T {
  const s = (Math.imul(seed, 0x27d4eb2d) ^ Math.imul(i + 1, 0x165667b1)) | 0;
  return fc.sample(arb, { seed: s, numRuns: 1 })[0]!;
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const INTERESTING8 = [0, 1, 2, 0x7f, 0x80, 0xff, 0xfe];
const INTERESTING16 = [0, 1, 4, 255, 256, 0x7fff, 0x8000, 0xffff, 0xfffe];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];

/** 1–8 byte-level mutations of a real input: flips, interesting values, cuts, inserts, duplicated ranges. */
export function mutateBytes(src: Buffer, r: () => number): Buffer {
  let b = Buffer.from(src);
  const n = 1 + Math.floor(r() * 8);
  for (let k = 0; k < n; k++) {
    if (b.length === 0) return b;
    const at = Math.floor(r() * b.length);
    const m = Math.floor(r() * 9);
    if (m === 0) b[at] = b[at]! ^ (1 << Math.floor(r() * 8));
    else if (m === 1) b[at] = pick(r, INTERESTING8);
    else if (m === 2 && at + 2 <= b.length) b.writeUInt16BE(pick(r, INTERESTING16), at);
    else if (m === 3 && at + 4 <= b.length) b.writeUInt32BE(pick(r, INTERESTING32), at);
    else if (m === 4) b[at] = Math.floor(r() * 256);
    else if (m === 5) return b.subarray(0, at);
    else if (m === 6) b = Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(r() * 256)]), b.subarray(at)]);
    else if (m === 7) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(r() * 16))]);
    else {
      const len = 1 + Math.floor(r() * Math.min(64, b.length - at));
      b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
    }
  }
  return b;
}

/** Text mutations for text parsers: splice a token, drop or duplicate a span, swap a word, then maybe bytes. */
export function mutateText(src: string, r: () => number, tokens: readonly string[]): Buffer {
  let s = src;
  // Mostly one edit: text parsers reject early, and one edit keeps most of the input meaningful.
  const n = 1 + Math.floor(r() * r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const m = Math.floor(r() * 6);
    if (m === 0 || m === 1) s = s.slice(0, at) + pick(r, tokens) + s.slice(at);
    else if (m === 2) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 12));
    else if (m === 3) s = s.slice(0, at) + s.slice(at, at + 1 + Math.floor(r() * 40)).repeat(2) + s.slice(at);
    else if (m === 4) s = s.slice(0, at);
    else {
      const words = [...s.matchAll(/[A-Za-z_][\w.]*|\d+/g)];
      const w = words.length ? pick(r, words) : undefined;
      if (w) s = s.slice(0, w.index) + pick(r, tokens) + s.slice(w.index + w[0].length);
    }
  }
  const b = Buffer.from(s);
  return r() < 0.15 ? mutateBytes(b, r) : b;
}

function whereOf(e: unknown): string {
  const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack : '';
  const line = stack.split('\n').find((l) => /\/(src|bench|node_modules)\//.test(l) && !l.includes('fuzz-core'));
  return (line ?? '')
    .trim()
    .replace(/^at /, '')
    .replace(/file:\/\/\S*?\/(src|bench|node_modules)\//, '$1/');
}

export function crashOf(target: string, seed: number, index: number, kind: CrashReport['kind'], e: unknown, input: Buffer): CrashReport {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { target, seed, index, kind, message: message.slice(0, 500), where: whereOf(e), input };
}

export interface RunOptions {
  seed: number;
  /** First input number (a resumed or replayed run). */
  from?: number;
  /** Per-input time cap; slower is a crash. */
  capMs?: number;
  onCrash?(c: CrashReport): void;
  /** Called every so often with inputs done (the parent's watchdog listens). */
  onProgress?(done: number): void;
  /** Called with each input before it is fed (the hang / out-of-memory recorder keeps it). */
  onInput?(i: number, input: Buffer): void;
}

/** Feeds inputs [from, from + n) of a target; crashes are counted, reported, never rethrown. */
export async function runTarget(t: FuzzTarget, n: number, o: RunOptions): Promise<TargetResult> {
  const s = await t.open();
  const cap = t.capMs ?? o.capMs ?? 2000;
  const from = o.from ?? 0;
  const res: TargetResult = { fuzz: t.name, inputs: 0, crashes: 0, distinct: 0, errors: 0, ok: 0, seconds: 0 };
  const seen = new Set<string>();
  const crash = (c: CrashReport) => {
    res.crashes++;
    const key = `${c.kind}|${c.message.replace(/\d+/g, 'N').slice(0, 120)}|${c.where}`;
    if (seen.has(key)) return;
    seen.add(key);
    res.distinct++;
    o.onCrash?.(c);
  };
  const t0 = performance.now();
  let lastBeat = t0;
  try {
    for (let i = from; i < from + n; i++) {
      const input = s.input(o.seed, i);
      o.onInput?.(i, input);
      const started = performance.now();
      try {
        const out = s.exec(input);
        const v = typeof out === 'string' ? out : await out;
        if (v === 'ok') res.ok++;
        else res.errors++;
      } catch (e) {
        crash(crashOf(t.name, o.seed, i, 'throw', e, input));
      }
      const now = performance.now();
      if (now - started > cap)
        crash(crashOf(t.name, o.seed, i, 'slow', new Error(`input took ${Math.round(now - started)} ms (cap ${cap} ms)`), input));
      for (const e of s.takeCrashes?.() ?? []) crash(crashOf(t.name, o.seed, i, 'async', e, input));
      res.inputs++;
      // A synchronous target never yields on its own: let the event loop run now and then, or what
      // the code under test left for later (stream teardown on process.nextTick, timers) piles up
      // until the heap is full (the first full run's ovsdb.jsonrpc.mutated died of exactly that).
      if ((i & 255) === 255) await new Promise<void>((r) => setImmediate(r));
      if (now - lastBeat > 500) {
        lastBeat = now;
        o.onProgress?.(res.inputs);
      }
    }
  } finally {
    await s.close?.();
  }
  res.seconds = +((performance.now() - t0) / 1000).toFixed(1);
  return res;
}

/** Writes a crashing input and what happened to dir/<target>/<hash>.{bin,json}; returns the .bin path. */
export function saveCrash(dir: string, c: CrashReport): string {
  const sub = join(dir, c.target);
  mkdirSync(sub, { recursive: true });
  const hash = createHash('sha1').update(c.input).digest('hex').slice(0, 12);
  const bin = join(sub, `${hash}.bin`);
  writeFileSync(bin, c.input);
  const { input: _input, ...meta } = c;
  writeFileSync(join(sub, `${hash}.json`), JSON.stringify({ ...meta, length: c.input.length }, null, 2) + '\n');
  return bin;
}
