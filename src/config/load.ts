// Loads canopy.yml, applies CANOPY_* env overrides and CLI flags, validates, and reports errors
// naming the file, the key path and the reason.
import { readFileSync } from 'node:fs';
import { parseDocument, YAMLError } from 'yaml';
import { z } from 'zod';
import { configSchema, type CanopyConfig } from './schema.ts';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; reason: string }[],
  ) {
    super(problems.map((p) => `${file}: ${p.path || '(root)'}: ${p.reason}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted path → value, applied last (flags like --data-dir). */
  overrides?: Record<string, unknown>;
}

/** Unwraps defaults/optionals to reach an object schema's shape, or undefined for leaves. */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodObject) return s.shape;
    const def = (s as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    const next = def.innerType ?? def.in;
    if (!next) return undefined;
    s = next;
  }
  return undefined;
}

/** Maps CANOPY_SNMP_TRAPS_LISTEN to ['snmp','traps','listen'] by walking the schema, case-insensitively. */
export function envPath(name: string): string[] | undefined {
  const parts = name
    .replace(/^CANOPY_/, '')
    .split('_')
    .filter(Boolean);
  const out: string[] = [];
  let shape = shapeOf(configSchema);
  let i = 0;
  while (i < parts.length && shape) {
    let matched = false;
    // Keys have no underscores today, but try longer joins first so one added later still resolves.
    for (let j = parts.length; j > i; j--) {
      const want = parts.slice(i, j).join('').toLowerCase();
      const key = Object.keys(shape).find((k) => k.toLowerCase() === want);
      if (key) {
        out.push(key);
        const child: z.ZodType | undefined = shape[key];
        shape = child ? shapeOf(child) : undefined;
        i = j;
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
  }
  return i === parts.length ? out : undefined;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

// Env names that belong to the process, not to config keys.
const NON_CONFIG_ENV = new Set(['CANOPY_CONFIG', 'CANOPY_LOG_LEVEL']);

/**
 * YAML to plain data; what the yaml library only warns about (an unknown tag such as `!!binary`,
 * which it would print on the process's stderr and then ignore) is an error here, as a parse error is.
 */
function parseStrict(text: string): unknown {
  const doc = parseDocument(text, { logLevel: 'silent' });
  const bad = doc.errors[0] ?? doc.warnings[0];
  if (bad) throw bad;
  return doc.toJS();
}

export function loadConfig(opts: LoadOptions = {}): CanopyConfig {
  const file = opts.file ?? '(defaults)';
  let raw: unknown = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new ConfigError(file, [{ path: '', reason: `cannot read: ${(e as Error).message}` }]);
    }
    try {
      raw = parseStrict(text) ?? {};
    } catch (e) {
      const where = e instanceof YAMLError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
      throw new ConfigError(file, [{ path: '', reason: `not valid YAML${where}: ${(e as Error).message.split('\n')[0]}` }]);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(file, [{ path: '', reason: 'the top level must be a mapping of sections' }]);
    }
  }
  const data = structuredClone(raw) as Record<string, unknown>;
  const problems: { path: string; reason: string }[] = [];
  const env = opts.env ?? process.env;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CANOPY_') || NON_CONFIG_ENV.has(name) || value === undefined) continue;
    const path = envPath(name);
    if (!path) {
      problems.push({ path: name, reason: 'environment variable names no config key' });
      continue;
    }
    // Parsed as YAML so numbers, booleans and lists work; text that is not YAML stays text.
    let parsed: unknown;
    try {
      parsed = parseStrict(value);
    } catch {
      parsed = value;
    }
    setPath(data, path, parsed);
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) setPath(data, k.split('.'), v);
  if (problems.length) throw new ConfigError(file, problems);
  const res = configSchema.safeParse(data);
  if (!res.success) {
    for (const issue of res.error.issues) {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) problems.push({ path: path ? `${path}.${k}` : k, reason: 'unknown key' });
      } else {
        problems.push({ path, reason: issue.message });
      }
    }
    throw new ConfigError(file, problems);
  }
  return res.data;
}

export function defaultConfig(): CanopyConfig {
  return configSchema.parse({});
}
