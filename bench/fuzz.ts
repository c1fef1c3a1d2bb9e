// `npm run fuzz [-- --runs N --target NAME --seed S --out DIR --cap-ms MS]`: long fuzz runs outside
// the suite. --runs is the total over the chosen targets (default 10,000,000), shared by each
// target's weight; --target picks one target or a family by dotted prefix (`lldp`, `netflow.v9`).
// Each target runs in its own child process (1 GiB heap), so an out-of-memory or a hang (no progress
// for --hang-s seconds) is a crash of that target, not the end of the run. Prints one JSON line per
// target (inputs, crashes, time) and a total; crashing inputs go to --out (default .scratch/fuzz).
// --target takes several, comma-separated.
// docs/reliability.md#fuzzing. Each bench/*.fuzz.ts exports `fuzz: FuzzTarget[]`.
import { fork } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseFlags } from '../src/util/args.ts';
import { crashOf, runTarget, saveCrash, type FuzzTarget, type TargetResult } from './lib/fuzz-core.ts';

export type { FuzzTarget } from './lib/fuzz-core.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Every target of bench/*.fuzz.ts, in file order. */
export async function allTargets(): Promise<FuzzTarget[]> {
  const out: FuzzTarget[] = [];
  for (const f of readdirSync(here)
    .filter((x) => x.endsWith('.fuzz.ts'))
    .sort()) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { fuzz: FuzzTarget[] };
    out.push(...mod.fuzz);
  }
  return out;
}

/** `--target a,b.c`: a target by its name or a family by a dotted prefix, comma-separated. */
export const matches = (name: string, sel: string | undefined) =>
  !sel || sel.split(',').some((x) => name === x || name.startsWith(x + '.'));

/** Splits `total` inputs over targets by weight (every chosen target gets at least one). */
export function allocate(targets: FuzzTarget[], total: number): Map<string, number> {
  const w = targets.reduce((a, t) => a + t.weight, 0);
  return new Map(targets.map((t) => [t.name, Math.max(1, Math.round((total * t.weight) / w))]));
}

const isMain = process.argv[1] === fileURLToPath(import.meta.url);
// Only when run: the suite imports allTargets with vitest's own argv.
const { values } = parseFlags(isMain ? process.argv.slice(2) : [], {
  runs: { type: 'string' },
  target: { type: 'string' },
  filter: { type: 'string' },
  seed: { type: 'string' },
  from: { type: 'string' },
  out: { type: 'string' },
  'cap-ms': { type: 'string' },
  'hang-s': { type: 'string' },
  child: { type: 'string' },
  progress: { type: 'string' },
  list: { type: 'boolean' },
});
const seed = Number(values.seed ?? 42);
const outDir = values.out ?? join(here, '../.scratch/fuzz');
const capMs = Number(values['cap-ms'] ?? 2000);

/**
 * The input being fed, kept where a hang or an out-of-memory cannot lose it: a shared buffer that a
 * worker thread copies to `file` (4 times a second, when it changed), so the parent knows which input
 * killed its child. Layout: [i32 index][i32 length][bytes].
 */
function inputRecorder(file: string): (i: number, input: Buffer) => void {
  const sab = new SharedArrayBuffer(8 + MAX_RECORDED);
  const head = new Int32Array(sab, 0, 2);
  const bytes = Buffer.from(sab, 8);
  head[0] = -1;
  const w = new Worker(
    `const { workerData: { sab, file } } = require('node:worker_threads');
     const { writeFileSync } = require('node:fs');
     const head = new Int32Array(sab, 0, 2);
     let last = -1;
     setInterval(() => {
       const i = Atomics.load(head, 0);
       if (i === last || i < 0) return;
       last = i;
       const n = Atomics.load(head, 1);
       writeFileSync(file, Buffer.concat([Buffer.from(String(i).padStart(12, ' ') + '\\n'), Buffer.from(sab, 8, n)]));
     }, 250);`,
    { eval: true, workerData: { sab, file } },
  );
  w.unref();
  return (i, input) => {
    const n = input.copy(bytes, 0, 0, MAX_RECORDED);
    Atomics.store(head, 1, n);
    Atomics.store(head, 0, i);
  };
}

const MAX_RECORDED = 1 << 20;

/** What inputRecorder last wrote: the input number and its bytes. */
function readRecorded(file: string): { index: number; input: Buffer } | undefined {
  try {
    const b = readFileSync(file);
    return { index: Number(b.subarray(0, 12).toString().trim()), input: b.subarray(13) };
  } catch {
    return undefined;
  }
}

async function child(name: string): Promise<void> {
  const t = (await allTargets()).find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}`);
  const send = (m: unknown) => process.send?.(m);
  const record = values.progress ? inputRecorder(values.progress) : undefined;
  // Errors from a socket or timer callback of the code under test land here: crashes of the current input.
  const res = await runTarget(t, Number(values.runs), {
    seed,
    from: Number(values.from ?? 0),
    capMs,
    onProgress: (done) => send({ progress: done }),
    onInput: record,
    onCrash: (c) => {
      const file = saveCrash(outDir, c);
      process.stderr.write(`${c.target} crash #${c.index} (${c.kind}) ${c.message}\n    at ${c.where}\n    input ${file}\n`);
    },
  });
  send({ result: res });
}

interface ChildEnd {
  result?: TargetResult;
  done: number;
  why?: string;
  /** The input the child was on when it died. */
  last?: { index: number; input: Buffer };
}

function runChild(name: string, runs: number, from: number): Promise<ChildEnd> {
  const hangMs = Number(values['hang-s'] ?? 60) * 1000;
  const progress = join(outDir, `.current-${name}`);
  rmSync(progress, { force: true });
  const args = [
    '--child',
    name,
    '--runs',
    String(runs),
    '--seed',
    String(seed),
    '--from',
    String(from),
    '--out',
    outDir,
    '--cap-ms',
    String(capMs),
    '--progress',
    progress,
  ];
  const p = fork(fileURLToPath(import.meta.url), args, {
    execArgv: ['--import', 'tsx', '--max-old-space-size=1024', '--no-warnings'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve) => {
    const end: ChildEnd = { done: 0 };
    let last = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - last < hangMs) return;
      end.why = `no progress for ${hangMs / 1000} s (a hang)`;
      p.kill('SIGKILL');
    }, 1000);
    p.on('message', (m: { progress?: number; result?: TargetResult }) => {
      last = Date.now();
      if (m.progress !== undefined) end.done = m.progress;
      if (m.result) end.result = m.result;
    });
    p.on('exit', (code, signal) => {
      clearInterval(watchdog);
      if (!end.result && !end.why) end.why = `child ended (code ${code}, signal ${signal}): out of memory or a crash outside exec`;
      if (!end.result) end.last = readRecorded(progress);
      rmSync(progress, { force: true });
      resolve(end);
    });
  });
}

async function main(): Promise<void> {
  const sel = values.target ?? values.filter;
  const targets = (await allTargets()).filter((t) => matches(t.name, sel));
  if (values.list) {
    for (const t of targets) process.stdout.write(`${t.name}\t${t.weight}\t${t.about}\n`);
    return;
  }
  if (!targets.length) throw new Error(`no fuzz target matches ${sel}`);
  const share = allocate(targets, Number(values.runs ?? 10_000_000));
  mkdirSync(outDir, { recursive: true });
  const total = { fuzz: 'total', inputs: 0, crashes: 0, distinct: 0, errors: 0, ok: 0, seconds: 0 };
  const t0 = performance.now();
  for (const t of targets) {
    const want = share.get(t.name)!;
    const sum: TargetResult = { fuzz: t.name, inputs: 0, crashes: 0, distinct: 0, errors: 0, ok: 0, seconds: 0 };
    let from = 0;
    // A child that dies (OOM, hang) counts one crash; the target resumes after the inputs it did.
    while (from < want) {
      const end = await runChild(t.name, want - from, from);
      const r = end.result;
      if (r) {
        for (const k of ['inputs', 'crashes', 'distinct', 'errors', 'ok', 'seconds'] as const) sum[k] += r[k];
        break;
      }
      // Resume after the input that killed it (or after the last progress report if none was recorded).
      const at = end.last && end.last.index >= from ? end.last.index : from + end.done;
      sum.inputs += at - from + 1;
      sum.crashes++;
      sum.distinct++;
      const file = saveCrash(outDir, crashOf(t.name, seed, at, 'throw', new Error(end.why), end.last?.input ?? Buffer.alloc(0)));
      process.stderr.write(`${t.name} crash #${at}: ${end.why}\n    input ${file}\n`);
      from = at + 1;
    }
    sum.seconds = +sum.seconds.toFixed(1);
    const perSec = sum.seconds > 0 ? Math.round(sum.inputs / sum.seconds) : sum.inputs;
    process.stdout.write(JSON.stringify({ ...sum, inputsPerSec: perSec }) + '\n');
    for (const k of ['inputs', 'crashes', 'distinct', 'errors', 'ok'] as const) total[k] += sum[k];
  }
  total.seconds = +((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(JSON.stringify({ ...total, targets: targets.length }) + '\n');
  process.exitCode = total.crashes > 0 ? 1 : 0;
}

// Imported by the suite (allTargets) as well as run.
if (isMain) {
  if (values.child) await child(values.child);
  else await main();
}
