// docs/configuration.md, generated from the zod schemas (`npm run docs:config`): every key with its
// type, default and the `.describe()` text its schema carries. test/config/reference.test.ts fails
// when the committed file differs from what this renders, or when a key has no description.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { durationSeconds, listenSchema } from './common.ts';
import { configSchema } from './schema.ts';

interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  values?: unknown[];
  valueType?: z.ZodType;
  checks?: { _zod: { def: { check: string; format?: string; value?: number; inclusive?: boolean } } }[];
}

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** A key's schema without its wrappers: the description and default found on the way in. */
interface Peeled {
  core: z.ZodType;
  description?: string;
  hasDefault: boolean;
  default?: unknown;
  optional: boolean;
}

function peel(schema: z.ZodType): Peeled {
  let s = schema;
  const p: Peeled = { core: s, hasDefault: false, optional: false };
  for (let i = 0; i < 20; i++) {
    p.description ??= s.description;
    // A default applied outside zod's own .default() (a preprocess step) is declared as metadata.
    const meta = z.globalRegistry.get(s) as { docDefault?: unknown } | undefined;
    if (meta?.docDefault !== undefined && !p.hasDefault) {
      p.hasDefault = true;
      p.default = meta.docDefault;
    }
    if (s === durationSeconds || s === listenSchema) break;
    const d = defOf(s);
    if (d.type === 'default' || d.type === 'prefault') {
      if (!p.hasDefault) {
        p.hasDefault = true;
        p.default = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
      }
      s = d.innerType!;
    } else if (d.type === 'optional' || d.type === 'nullable') {
      p.optional = true;
      s = d.innerType!;
    } else if (d.type === 'pipe') {
      // preprocess = pipe(transform, schema); .transform() = pipe(schema, transform): document the schema side.
      s = defOf(d.in!).type === 'transform' ? d.out! : d.in!;
    } else break;
  }
  p.core = s;
  return p;
}

function isObject(s: z.ZodType): boolean {
  return defOf(s).type === 'object';
}

function bounds(d: Def): string {
  let lo: { v: number; incl: boolean } | undefined,
    hi: { v: number; incl: boolean } | undefined,
    int = false;
  for (const c of d.checks ?? []) {
    const cd = c._zod.def;
    if (cd.check === 'number_format' && (cd.format === 'safeint' || cd.format === 'int32')) int = true;
    if (cd.check === 'greater_than') lo = { v: cd.value!, incl: cd.inclusive === true };
    if (cd.check === 'less_than') hi = { v: cd.value!, incl: cd.inclusive === true };
  }
  const name = int ? 'integer' : 'number';
  // An integer > 0 reads better as ≥ 1.
  if (int && lo && !lo.incl) lo = { v: lo.v + 1, incl: true };
  if (lo && hi) return `${name} ${lo.v}–${hi.v}`;
  if (lo) return `${name} ${lo.incl ? '≥' : '>'} ${lo.v}`;
  if (hi) return `${name} ${hi.incl ? '≤' : '<'} ${hi.v}`;
  return name;
}

/** The type column: what a YAML value must look like. */
export function typeName(schema: z.ZodType): string {
  const { core } = peel(schema);
  if (core === durationSeconds) return 'duration';
  if (core === listenSchema) return 'address(es)';
  const d = defOf(core);
  switch (d.type) {
    case 'string':
      return 'string';
    case 'number':
      return bounds(d);
    case 'boolean':
      return 'boolean';
    case 'enum': {
      // Object key order puts integer-like names ("3") first; the declared order is lost, so sort those.
      const vals = Object.values(d.entries ?? {});
      return (vals.some((v) => /^\d+$/.test(v)) ? [...vals].sort() : vals).map((v) => `\`${v}\``).join(' | ');
    }
    case 'literal':
      return (d.values ?? []).map((v) => `\`${String(v)}\``).join(' | ');
    case 'array': {
      const el = peel(d.element!).core;
      return isObject(el) || (defOf(el).type === 'union' && (defOf(el).options ?? []).every(isObject))
        ? 'list of mappings'
        : `list of ${typeName(d.element!)}`;
    }
    case 'union':
      return (d.options ?? []).map(typeName).join(' or ');
    case 'record':
      return `mapping of name → ${typeName(d.valueType!)}`;
    case 'object':
      return 'mapping';
    default:
      return d.type;
  }
}

function human(seconds: number): string {
  for (const [unit, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds >= n && seconds % n === 0) return `${seconds / n}${unit}`;
  return `${seconds}s`;
}

function formatDefault(p: Peeled): string {
  if (!p.hasDefault) return p.optional ? '—' : 'required';
  const v = p.default;
  if (p.core === durationSeconds && typeof v === 'number') return `\`${human(v)}\``;
  if (Array.isArray(v) && v.length === 0) return '`[]`';
  if (v !== null && typeof v === 'object' && Object.keys(v).length === 0) return isObject(p.core) ? '' : '`{}`';
  if (typeof v === 'string') return `\`${v}\``;
  return `\`${JSON.stringify(v)}\``;
}

export interface KeyDoc {
  path: string;
  type: string;
  default: string;
  description: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const INTERNAL = /^internal\b/i;

/** Every documented key under `prefix`, depth first (objects, list-of-mapping elements and union variants). */
export function keysOf(schema: z.ZodType, prefix: string, note = ''): KeyDoc[] {
  const p = peel(schema);
  const d = defOf(p.core);
  const out: KeyDoc[] = [];
  if (d.type === 'object') {
    for (const [k, child] of Object.entries(d.shape ?? {})) {
      const c = peel(child);
      if (c.description && INTERNAL.test(c.description)) continue;
      const path = prefix ? `${prefix}.${k}` : k;
      out.push({ path, type: typeName(child), default: formatDefault(c), description: `${note}${c.description ?? ''}` });
      out.push(...keysOf(child, path));
    }
  } else if (d.type === 'array') {
    const el = peel(d.element!).core;
    if (isObject(el)) out.push(...keysOf(el, `${prefix}[]`));
    else if (defOf(el).type === 'union') out.push(...unionKeys(el, `${prefix}[]`));
  } else if (d.type === 'union' && (d.options ?? []).every((o) => isObject(peel(o).core))) {
    out.push(...unionKeys(p.core, prefix));
  }
  return out;
}

/** Keys of a (discriminated) union of mappings: shared keys once, the others marked with their variant. */
function unionKeys(schema: z.ZodType, prefix: string): KeyDoc[] {
  const d = defOf(schema);
  const variants = (d.options ?? []).map((o) => ({ o, tag: d.discriminator ? variantTag(o, d.discriminator) : '' }));
  const lists = variants.map((v) => keysOf(v.o, prefix));
  const seen = new Map<string, KeyDoc>();
  const count = new Map<string, number>();
  for (const l of lists) for (const k of l) count.set(k.path, (count.get(k.path) ?? 0) + 1);
  lists.forEach((l, i) => {
    for (const k of l) {
      const prev = seen.get(k.path);
      if (prev) {
        // The discriminator itself (and any key typed differently per variant): every variant's type.
        if (!prev.type.split(' | ').includes(k.type)) prev.type = `${prev.type} | ${k.type}`;
        continue;
      }
      const only = count.get(k.path) === lists.length || !variants[i]!.tag ? '' : `(${d.discriminator} ${variants[i]!.tag} only) `;
      seen.set(k.path, { ...k, description: only + k.description });
    }
  });
  return [...seen.values()];
}

function variantTag(o: z.ZodType, key: string): string {
  const shape = defOf(peel(o).core).shape ?? {};
  const lit = shape[key] ? defOf(peel(shape[key]).core) : undefined;
  return lit?.type === 'literal' ? (lit.values ?? []).map(String).join('/') : '';
}

const HEADER = `# Configuration reference

<!-- Generated by \`npm run docs:config\` from the zod schemas (src/config/schema.ts and each
component's config.ts). Do not edit by hand: change the schema's .describe() text and regenerate;
test/config/reference.test.ts fails when this file is stale. -->

One YAML file (\`canopy collector --config FILE\`, or \`$CANOPY_CONFIG\`); every key has a default, unknown keys
are errors naming their path. Any key can be overridden from the environment as \`CANOPY_<SECTION>_<KEY>\`
(\`CANOPY_SNMP_TRAPS_LISTEN=0.0.0.0:162\`; values are read as YAML, so lists and numbers work).
\`canopy collector --print-config\` prints the effective config, \`--check\` validates it.

- **duration**: seconds as a number, or a string with a unit: \`500ms\`, \`30s\`, \`5m\`, \`2h\`, \`7d\`.
- **address(es)**: \`host:port\` (\`[v6]:port\`, \`:port\` = all interfaces) or a list of them; port 0 picks a free
  port (the bound ports are logged and shown in \`/api/status\`).
- \`a[].b\`: key \`b\` of each entry of the list \`a\`.

Getting started: [getting-started.md](getting-started.md). Queries: [query-cookbook.md](query-cookbook.md).
`;

export function renderConfigReference(): string {
  const parts = [HEADER];
  const top = defOf(configSchema).shape ?? {};
  for (const [name, section] of Object.entries(top)) {
    const p = peel(section);
    parts.push(`\n## ${name}\n\n${p.description ?? ''}\n`);
    const keys = keysOf(section, name);
    if (!keys.length) continue;
    parts.push('\n| Key | Type | Default | Meaning |\n|---|---|---|---|\n');
    for (const k of keys) parts.push(`| \`${k.path}\` | ${cell(k.type)} | ${cell(k.default)} | ${cell(k.description)} |\n`);
  }
  return parts.join('');
}

/** Keys whose schema carries no description (the reference test lists them). */
export function undocumentedKeys(): string[] {
  const top = defOf(configSchema).shape ?? {};
  const missing = Object.entries(top)
    .filter(([, s]) => !peel(s).description)
    .map(([n]) => n);
  for (const [name, section] of Object.entries(top))
    for (const k of keysOf(section, name)) if (!k.description.replace(/^\([^)]*\) /, '')) missing.push(k.path);
  return missing;
}

export const REFERENCE_FILE = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

if (import.meta.url === `file://${process.argv[1]}`) {
  const missing = undocumentedKeys();
  if (missing.length) {
    process.stderr.write(`docs:config: keys without a .describe() text: ${missing.join(', ')}\n`);
    process.exitCode = 1;
  } else {
    writeFileSync(REFERENCE_FILE, renderConfigReference());
    process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
  }
}
