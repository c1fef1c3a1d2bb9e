// docs/configuration.md is generated from the zod schemas; this fails when the committed file is
// stale (a key, default or .describe() text changed without `npm run docs:config`), when a key has
// no description, or when the generator misses a key or a default the schema really has.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/common.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { REFERENCE_FILE, renderConfigReference, undocumentedKeys } from '../../src/config/reference.ts';

const committed = readFileSync(REFERENCE_FILE, 'utf8');

/** Rows of the reference: path → {type, default}. */
function rows(md: string): Map<string, { type: string; def: string }> {
  const out = new Map<string, { type: string; def: string }>();
  for (const m of md.matchAll(/^\| `([^`]+)` \| (.*?) \| (.*?) \| .* \|$/gm)) out.set(m[1]!, { type: m[2]!, def: m[3]! });
  return out;
}

/** Dotted paths of every key in the effective default config (lists and maps are leaves). */
function leaves(v: unknown, prefix = ''): [string, unknown][] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [[prefix, v]];
  const entries = Object.entries(v as Record<string, unknown>);
  // A map whose keys are the user's (topology.roles) is a leaf too: its default is {}.
  if (entries.length === 0) return [[prefix, v]];
  return entries.flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
}

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` renders from the schemas today', () => {
    expect(committed === renderConfigReference(), 'docs/configuration.md is stale: run `npm run docs:config` and commit it').toBe(true);
  });

  it('every key has a .describe() text', () => {
    expect(undocumentedKeys()).toEqual([]);
  });

  it('lists every key of the effective default config, with its default', () => {
    const doc = rows(committed);
    const defaults = leaves(defaultConfig());
    expect(defaults.length).toBeGreaterThan(40);
    for (const [path, value] of defaults) {
      const row = doc.get(path);
      expect(row, `${path} is missing from the reference`).toBeDefined();
      const shown = /^`(.*)`$/.exec(row!.def)?.[1];
      expect(shown, `${path}: the default column (${row!.def}) shows no value`).toBeDefined();
      if (row!.type === 'duration') expect(parseDuration(shown!), path).toBe(value);
      else if (typeof value === 'string') expect(shown, path).toBe(value);
      else expect(JSON.parse(shown!), path).toEqual(value);
    }
  });
});
