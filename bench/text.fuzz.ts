// `npm run fuzz`: the parsers that read a user's text — Gremlin (src/topology/query: parse, validate,
// evaluate on a small real graph), the YAML config (src/config/load.ts), the fabric DSL
// (src/topology/fabric-dsl.ts, applied by src/topology/fabric.ts) and JSON Patch
// (src/api/json-patch.ts, as PATCH /api/node/:id runs it). Seeds are the documented examples
// (docs/query-cookbook.md, the docs' YAML, the tests' queries and fabric lines); fast-check
// grammars give well-formed input with hostile contents. Only each parser's typed error may escape.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { ElementError, validateNode } from '../src/api/elements.ts';
import { applyPatch, isPatch, PatchError } from '../src/api/json-patch.ts';
import { ConfigError, defaultConfig, loadConfig } from '../src/config/load.ts';
import { Fabric } from '../src/topology/fabric.ts';
import { FabricSyntaxError, parseFabricLine } from '../src/topology/fabric-dsl.ts';
import { QueryError, runQuery } from '../src/topology/query/index.ts';
import { STEP_NAMES } from '../src/topology/query/parser.ts';
import type { GraphStore } from '../src/topology/store/graph-store.ts';
import { silentLogger } from '../src/util/log.ts';
import { smallGraph, T0 } from '../test/topology/query/fixture-graph.ts';
import { inputRng, mutateText, pick, sampleArb, type FuzzSession, type FuzzTarget, type Outcome } from './lib/fuzz-core.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** Quoted strings of a file that look like `re` (the tests' queries, fabric lines). */
function quoted(path: string, re: RegExp): string[] {
  return [...read(path).matchAll(/'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"/g)].map((m) => m[1] ?? m[2] ?? '').filter((s) => re.test(s));
}

// ---- Gremlin ---------------------------------------------------------------------------------------

export function gremlinSeeds(): string[] {
  const docs = [...read('docs/query-cookbook.md').matchAll(/G\.[VEF][^`\n]*/g)].map((m) =>
    m[0]
      .replace(/\\"/g, "'")
      .replace(/["}]+\s*(\|.*)?$/, '')
      .trim(),
  );
  const dir = 'test/topology/query';
  const tests = readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .flatMap((f) => quoted(`${dir}/${f}`, /^G\./));
  return [...new Set([...docs, ...tests])];
}

const GREMLIN_TOKENS = [
  '(',
  ')',
  '.',
  ',',
  "'",
  '"',
  '\\',
  'G',
  'V()',
  'E()',
  'Out()',
  'In()',
  'Both()',
  'Has(',
  'HasKey(',
  'HasNot(',
  'HasEither(',
  'Count()',
  'Values(',
  'Keys()',
  'Dedup()',
  'Sort(',
  'Range(',
  'Limit(',
  'ShortestPathTo(',
  'SubGraph()',
  'Descendants(',
  'Ascendants(',
  'Flows()',
  'Metrics()',
  'Aggregates()',
  'At(',
  'Context(',
  'NE(',
  'Within(',
  'Without(',
  'Regex(',
  'Lt(',
  'Gt(',
  'Inside(',
  'Outside(',
  'Between(',
  'Ipv4Range(',
  'Metadata(',
  'NOW',
  'ASC',
  'DESC',
  'true',
  'false',
  '-1',
  '0',
  '1e308',
  '9007199254740993',
  '-0',
  'NaN',
  "'Type'",
  "'Name'",
  "'host'",
  "'.*'",
  "'(a+)+$'",
  "'10.0.0.0/8'",
  "'-5m'",
  "'1h'",
  '\u0000',
  '𝔊',
];

const key = fc.constantFrom(
  'Type',
  'Name',
  'State',
  'IfIndex',
  'Speed',
  'MAC',
  'IPV4',
  'Tags',
  'LLDP.ChassisID',
  'MTU',
  'Role',
  'ID',
  'Nope',
  '',
);
const scalar = fc.oneof(
  fc.constantFrom(
    "'switch'",
    "'port'",
    "'host'",
    "'UP'",
    "'eth0'",
    "'10.0.0.5'",
    "'10.0.0.0/8'",
    "'.*'",
    "'^web'",
    "'-1h'",
    "'2023-11-14T22:13:20Z'",
  ),
  fc.string({ maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.constantFrom(0, -1, 1e21)).map(String),
  fc.constantFrom('NOW', 'ASC', 'DESC', 'true', 'false'),
);
const call: fc.Arbitrary<string> = fc.letrec((tie) => ({
  arg: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    key.map((k) => `'${k}'`),
    tie('pred') as fc.Arbitrary<string>,
  ),
  pred: fc
    .tuple(
      fc.constantFrom(
        'NE',
        'Within',
        'Without',
        'Regex',
        'Lt',
        'Gt',
        'Lte',
        'Gte',
        'Inside',
        'Outside',
        'Between',
        'Ipv4Range',
        'Metadata',
      ),
      fc.array(tie('arg') as fc.Arbitrary<string>, { maxLength: 4 }),
    )
    .map(([n, a]) => `${n}(${a.join(', ')})`),
})).arg;
const step = fc
  .tuple(
    // Every step the parser knows but the two sources, V and E.
    fc.constantFrom(...STEP_NAMES.filter((n) => n !== 'V' && n !== 'E')),
    fc.array(
      fc.oneof(
        key.map((k) => `'${k}'`),
        call,
      ),
      { maxLength: 6 },
    ),
  )
  .map(([n, a]) => `${n}(${a.join(', ')})`);
const gremlinQuery = fc
  .tuple(
    fc.constantFrom('G.V', 'G.E', 'G.Flows', 'G.At', 'G.Context', 'g.v'),
    fc.array(
      fc.oneof(
        key.map((k) => `'${k}'`),
        scalar,
        fc.constantFrom("'sw1'", "'h1'", "'o1'"),
      ),
      { maxLength: 4 },
    ),
    fc.array(step, { maxLength: 8 }),
  )
  .map(([src, a, steps]) => [`${src}(${a.join(', ')})`, ...steps].join('.'));

function gremlinSession(store: GraphStore, gen: (seed: number, i: number) => Buffer): FuzzSession {
  return {
    input: gen,
    exec(input): Outcome {
      try {
        JSON.stringify(runQuery(store, input.toString('utf8'), { now: T0 + 3_600_000, timeoutMs: 1000, maxVisited: 100_000 }));
        return 'ok';
      } catch (e) {
        if (e instanceof QueryError) return 'error';
        throw e;
      }
    },
    close: () => store.close(),
  };
}

// ---- config YAML -----------------------------------------------------------------------------------

/** The YAML examples of the docs and the README whose top level is a config section. */
export function configSeeds(): string[] {
  const sections = new Set(Object.keys(defaultConfig()));
  const out: string[] = [];
  for (const f of [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((x) => x.endsWith('.md'))
      .map((x) => `docs/${x}`),
  ]) {
    for (const m of read(f).matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      const first = /^([A-Za-z]+):/m.exec(m[1]!);
      if (first && sections.has(first[1]!)) out.push(m[1]!);
    }
  }
  // The whole default config, spelled out, covers every key.
  out.push(toYaml(defaultConfig()));
  return out;
}

/** Every key path of the default config, for generated documents. */
function keyPaths(v: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      keyPaths(x, [...prefix, k], out);
    }
  }
  return out;
}

const YAML_TOKENS = [
  ':',
  '- ',
  '  ',
  '\n',
  '"',
  "'",
  '#',
  '&a',
  '*a',
  '<<: *a',
  '!!binary',
  '!!int',
  '!!js/function',
  '{',
  '}',
  '[',
  ']',
  '|',
  '>',
  '~',
  'null',
  'true',
  'no',
  '0x10',
  '1e999',
  '-.inf',
  '.nan',
  '0o777',
  '"\\u0000"',
  '%YAML 1.1\n---\n',
  '---',
  '...',
  '?',
  '@',
  '`',
  '\t',
  '127.0.0.1:0',
  '0.0.0.0:99999',
  '[::1]:8082',
  '-1',
  '1e21',
  '__proto__',
  'constructor',
];

function configSession(gen: (seed: number, i: number) => Buffer): FuzzSession {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-fuzz-config-'));
  const file = join(dir, 'canopy.yml');
  return {
    input: gen,
    exec(input): Outcome {
      writeFileSync(file, input);
      try {
        JSON.stringify(loadConfig({ file, env: {} }));
        return 'ok';
      } catch (e) {
        if (e instanceof ConfigError) return 'error';
        throw e;
      }
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('127.0.0.1:0', '0.0.0.0:6343', '[::1]:1', 'x:y', '', -1, 0, 1e21, 2 ** 53, true, null),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
  fc.constantFrom(
    ['A -> B'],
    ['A[Name=a] --> *[Type=host]/eth0'],
    ['*[x=1]/e -> A'],
    [{ address: '10.0.0.1' }],
    [{ name: 'u', password: 'p' }],
  ),
);

// ---- fabric DSL ------------------------------------------------------------------------------------

export function fabricSeeds(): string[] {
  const lines = [
    ...quoted('test/topology/fabric.test.ts', /->|-->|\[/),
    ...quoted('docs/configuration.md', /^[\w*][^ ]*(\[.*\])?( --?> .*)?$/).filter((s) => /->/.test(s)),
  ];
  // The tests' YAML spells lines as `- "…"` items.
  return [...new Set(lines.map((l) => l.replace(/^\s*-\s*"(.*)"$/, '$1')).filter((l) => !l.includes('\\n')))];
}

const FABRIC_TOKENS = [
  '->',
  '-->',
  ' -> ',
  ' --> ',
  '[',
  ']',
  '=',
  ',',
  '*',
  '/',
  '*[',
  ']/',
  "'",
  '"',
  'Name=',
  'Type=host',
  '.',
  ':',
  '\t',
  ' ',
  '1e999',
  '-0',
];
const label = fc.oneof(
  fc.constantFrom('TOR1', 'TOR1_PORT1', 'SPINE1', 'sw1', 'web1', 'a.b:c-d', ''),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/),
);
const propKey = fc.oneof(fc.constantFrom('Name', 'Type', 'MTU', 'Role', 'IfIndex', 'a.b', '_x'), fc.string({ maxLength: 6 }));
const propVal = fc.oneof(
  fc.constantFrom('1500', 'true', 'false', "'q'", '"d"', '-1.5', 'host', 'web1', 'eth0', ''),
  fc.string({ maxLength: 8 }),
);
const props = fc
  .tuple(
    fc.array(
      fc.tuple(propKey, propVal).map(([k, v]) => `${k}=${v}`),
      { maxLength: 4 },
    ),
    fc.constantFrom(',', ', ', ' ,'),
  )
  .map(([p, sep]) => p.join(sep));
const ref = fc.oneof(
  fc.tuple(label, fc.option(props)).map(([l, p]) => (p === null ? l : `${l}[${p}]`)),
  fc.tuple(props, label).map(([p, l]) => `*[${p}]/${l}`),
);
const fabricLines = fc.array(
  fc.oneof(
    ref,
    fc.tuple(ref, fc.constantFrom(' -> ', ' --> ', '->', ' - > ', '  -->  '), ref).map(([a, arrow, b]) => a + arrow + b),
  ),
  { minLength: 1, maxLength: 6 },
);

function fabricSession(gen: (seed: number, i: number) => Buffer): FuzzSession {
  const store = smallGraph();
  const fabric = new Fabric(store, silentLogger());
  return {
    input: gen,
    exec(input): Outcome {
      const lines = input.toString('utf8').split('\n');
      // Each line as topology/config.ts validates it, then the whole set as a reload applies it.
      let bad = false;
      for (const l of lines) {
        try {
          parseFabricLine(l);
        } catch (e) {
          if (!(e instanceof FabricSyntaxError)) throw e;
          bad = true;
        }
      }
      try {
        fabric.apply(lines);
      } catch (e) {
        if (e instanceof Error && e.cause instanceof FabricSyntaxError) return 'error';
        throw e;
      }
      return bad ? 'error' : 'ok';
    },
    close: () => store.close(),
  };
}

// ---- JSON Patch ------------------------------------------------------------------------------------

const PATCH_DOC = {
  ID: 'h1',
  Metadata: { Type: 'host', Name: 'web1', Tags: ['prod', 'eu'], LLDP: { ChassisID: 'aa:aa' }, IPV4: ['10.0.0.5/24'] },
  Host: 'test',
  Origin: 'api',
  CreatedAt: T0,
  UpdatedAt: T0,
  Revision: 1,
};
const PATCH_SEEDS = [
  [
    { op: 'replace', path: '/Metadata/Name', value: 'web1.example.com' },
    { op: 'add', path: '/Metadata/State', value: 'DOWN' },
  ],
  [
    { op: 'remove', path: '/Metadata/Tags/0' },
    { op: 'add', path: '/Metadata/Tags/-', value: 'x' },
  ],
  [
    { op: 'move', from: '/Metadata/LLDP', path: '/Metadata/Old' },
    { op: 'copy', from: '/Metadata/Name', path: '/Metadata/Alias' },
  ],
  [
    { op: 'test', path: '/Metadata/Type', value: 'host' },
    { op: 'replace', path: '/Metadata/IPV4/0', value: '10.0.0.6/24' },
  ],
  [
    { op: 'add', path: '/Metadata/a~1b', value: { deep: [1, 2, { x: null }] } },
    { op: 'remove', path: '/Metadata/a~1b' },
  ],
].map((p) => JSON.stringify(p));
const PATCH_TOKENS = [
  '/',
  '~0',
  '~1',
  '~2',
  '-',
  '0',
  '-1',
  '1e3',
  '9999999999',
  '__proto__',
  'constructor',
  'prototype',
  '""',
  'null',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"op"',
  '"remove"',
  '"move"',
  '"copy"',
  '"test"',
  '"add"',
  '"from"',
  '"path"',
  '"value"',
  '"/"',
  '""',
];

const pointer = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'Metadata',
        'Tags',
        'Name',
        'LLDP',
        'ChassisID',
        'IPV4',
        'ID',
        '0',
        '1',
        '-',
        '99',
        '__proto__',
        'constructor',
        'prototype',
        '~0',
        '~1',
        '',
      ),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 5 },
  )
  .map((s) => s.map((x) => '/' + x).join(''));
const patchOp = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path: pointer, value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ op: fc.constant('remove'), path: pointer }),
  fc.record({ op: fc.constantFrom('move', 'copy'), from: pointer, path: pointer }),
  fc.record({ op: fc.string({ maxLength: 6 }), path: fc.oneof(pointer, fc.string({ maxLength: 6 })) }, { requiredKeys: [] }),
);

const pollutedBefore = Object.getOwnPropertyNames(Object.prototype).length;

/** PATCH /api/node/:id's body handling: JSON, the RFC 6902 shape, apply, validate the node. */
export function execPatch(input: Buffer): Outcome {
  const out = applyBody(input);
  // A patch must never reach the prototypes of every object.
  if (Object.getOwnPropertyNames(Object.prototype).length !== pollutedBefore) throw new Error('Object.prototype changed by a patch');
  return out;
}

function applyBody(input: Buffer): Outcome {
  let ops: unknown;
  try {
    ops = JSON.parse(input.toString('utf8'));
  } catch {
    return 'error'; // the route's "body is not valid JSON" 400
  }
  try {
    if (!isPatch(ops)) return 'error';
    const patched = applyPatch(PATCH_DOC, ops) as unknown as Record<string, unknown>;
    validateNode({ ...patched, Revision: undefined, UpdatedAt: undefined }, 'api');
    return 'ok';
  } catch (e) {
    if (e instanceof PatchError || e instanceof ElementError) return 'error';
    throw e;
  }
}

// ---- targets ---------------------------------------------------------------------------------------

const mutated = (seedsOf: () => string[], tokens: readonly string[]) => {
  const seeds = seedsOf();
  return (seed: number, i: number) => {
    const r = inputRng(seed, i);
    return mutateText(pick(r, seeds), r, tokens);
  };
};
const generated =
  <T>(arb: fc.Arbitrary<T>, show: (v: T) => string) =>
  (seed: number, i: number) =>
    Buffer.from(show(sampleArb(arb, seed, i)));

export const fuzz: FuzzTarget[] = [
  {
    name: 'gremlin.query.mutated',
    weight: 400,
    quick: 400,
    about:
      'the queries of docs/query-cookbook.md and of the query tests, mutated as text (step/predicate/keyword tokens spliced in, spans cut or doubled, words swapped, 15 % byte mutations); parse + validate + evaluate on a 10-node graph',
    open: () => gremlinSession(smallGraph(), mutated(gremlinSeeds, GREMLIN_TOKENS)),
  },
  {
    name: 'gremlin.query.structured',
    weight: 300,
    quick: 400,
    about:
      'fast-check queries from the grammar: any source, 0–8 steps of every step name with 0–6 arguments (keys of the graph, strings, numbers, keywords, nested predicates)',
    open: () =>
      gremlinSession(
        smallGraph(),
        generated(gremlinQuery, (q) => q),
      ),
  },
  {
    name: 'config.yaml.mutated',
    weight: 20,
    quick: 200,
    about:
      'the YAML examples of README.md and docs/*.md and the full default config, mutated as text (YAML syntax, tags, anchors, odd scalars spliced in); loadConfig on the file',
    open: () => configSession(mutated(configSeeds, YAML_TOKENS)),
  },
  {
    name: 'config.yaml.structured',
    weight: 20,
    quick: 200,
    about: 'fast-check documents over the real key paths of the config (any subset, any value type) as YAML; loadConfig on the file',
    open() {
      const paths = keyPaths(defaultConfig());
      const doc = fc.array(fc.tuple(fc.constantFrom(...paths), anyValue), { maxLength: 8 });
      return configSession(
        generated(doc, (entries) => {
          const root: Record<string, unknown> = {};
          for (const [p, v] of entries) {
            let cur = root;
            for (const k of p.slice(0, -1))
              cur = (cur[k] = typeof cur[k] === 'object' && cur[k] !== null && !Array.isArray(cur[k]) ? cur[k] : {}) as Record<
                string,
                unknown
              >;
            cur[p[p.length - 1]!] = v;
          }
          return toYaml(root);
        }),
      );
    },
  },
  {
    name: 'fabric.dsl.mutated',
    weight: 150,
    quick: 400,
    about:
      'the fabric lines of the docs and tests (several per input), mutated as text; parsed line by line and applied to a graph with hosts (wildcards resolve)',
    open() {
      const seeds = fabricSeeds();
      return fabricSession((seed, i) => {
        const r = inputRng(seed, i);
        const lines = Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, seeds));
        return mutateText(lines.join('\n'), r, FABRIC_TOKENS);
      });
    },
  },
  {
    name: 'fabric.dsl.structured',
    weight: 150,
    quick: 400,
    about: 'fast-check fabric statements: labels, KEY=VALUE lists, wildcards, both arrows, odd spacing; applied to a graph with hosts',
    open: () => fabricSession(generated(fabricLines, (l) => l.join('\n'))),
  },
  {
    name: 'jsonpatch.body.mutated',
    weight: 766.5,
    quick: 500,
    about:
      'RFC 6902 patch bodies of every op, mutated as text (pointer escapes, huge indexes, __proto__/constructor, JSON syntax); JSON.parse, shape check, applyPatch, validateNode as PATCH /api/node/:id',
    open: () => ({ input: mutated(() => PATCH_SEEDS, PATCH_TOKENS), exec: execPatch }),
  },
  {
    name: 'jsonpatch.body.structured',
    weight: 300,
    quick: 500,
    about:
      'fast-check patches: 0–6 ops of every kind with pointers into the node document and hostile segments, any JSON values, malformed ops',
    open: () => ({ input: generated(fc.array(patchOp, { maxLength: 6 }), (ops) => JSON.stringify(ops)), exec: execPatch }),
  },
];
