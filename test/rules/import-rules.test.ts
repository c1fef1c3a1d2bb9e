// The import rules run in `npm run lint`; these tests make sure they judge something: the source
// tree passes, and a tree with one violation of each rule fails on exactly those imports.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const CONFIG = resolve('.dependency-cruiser.cjs');
const DEPCRUISE = resolve('node_modules/.bin/depcruise');
const RULES = (createRequire(import.meta.url)(CONFIG) as { forbidden: { name: string }[] }).forbidden.map((r) => r.name);

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** The exit code of the check as `npm run lint:imports` runs it (text output). */
function lintExit(cwd: string): Promise<number> {
  return new Promise((done) => {
    execFile(DEPCRUISE, ['src', '--config', CONFIG], { cwd, timeout: 60_000 }, (err) =>
      done(err ? ((err as { code?: number }).code ?? 1) : 0),
    );
  });
}

function cruise(cwd: string): Promise<{ code: number; violations: Violation[]; modules: number }> {
  return new Promise((done, fail) => {
    execFile(
      DEPCRUISE,
      ['src', '--config', CONFIG, '--output-type', 'json'],
      { cwd, maxBuffer: 64 << 20, timeout: 60_000 },
      (err, stdout, stderr) => {
        try {
          const j = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
          done({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            violations: j.summary.violations,
            modules: j.summary.totalCruised,
          });
        } catch {
          fail(new Error(`depcruise gave no JSON (${String(err)}): ${stderr}`));
        }
      },
    );
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-import-rules-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('import rules (dependency-cruiser)', () => {
  it('the source tree has no violation', async () => {
    const r = await cruise(process.cwd());
    expect(r.violations).toEqual([]);
    expect(r.modules).toBeGreaterThan(200);
    expect(await lintExit(process.cwd())).toBe(0);
  });

  it('each rule fails on its own violation, and allowed imports pass', async () => {
    const dir = tree({
      'test/helper.ts': 'export const h = 1;\n',
      'src/collector.ts': 'export const wiring = 1;\n',
      'src/api/app.ts': 'export type ApiApp = { get(): void };\n',
      'src/topology/query/index.ts': 'export const runQuery = 1;\n',
      'src/topology/ids.ts': 'export const ids = 1;\n',
      'src/topology/store/graph-store.ts': 'export interface GraphStore { n: number }\n',
      'src/topology/stitch/stitcher.ts': 'export class Stitcher {}\n',
      'src/util/log.ts': 'export const log = 1;\n',
      'src/ui/web/ok.ts': "import Sigma from 'sigma';\nexport const ok = Sigma;\n",
      // A browser package, and one the browser must not bundle.
      'node_modules/sigma/package.json': '{"name": "sigma", "main": "index.js"}\n',
      'node_modules/sigma/index.js': 'module.exports = 1;\n',
      'node_modules/pino/package.json': '{"name": "pino", "main": "index.js"}\n',
      'node_modules/pino/index.js': 'module.exports = 1;\n',
      // One violation per rule.
      'src/uses-test.ts': "import { h } from '../test/helper.ts';\nexport const x = h;\n",
      'src/collectors/types-from-api.ts': "import type { ApiApp } from '../api/app.ts';\nexport type X = ApiApp;\n",
      'src/collectors/reads-query.ts': "import { runQuery } from '../topology/query/index.ts';\nexport const x = runQuery;\n",
      'src/collectors/imports-wiring.ts': "import { wiring } from '../collector.ts';\nexport const x = wiring;\n",
      'src/topology/imports-collector.ts': "import { ok } from '../collectors/allowed.ts';\nexport const x = ok;\n",
      'src/api/reads-stitcher.ts': "import { Stitcher } from '../topology/stitch/stitcher.ts';\nexport const x = Stitcher;\n",
      'src/ui/web/server-code.ts':
        "import { log } from '../../util/log.ts';\nimport { readFileSync } from 'node:fs';\nimport pino from 'pino';\nimport { ok } from './ok.ts';\nexport const x = [log, readFileSync, pino, ok];\n",
      'src/unresolved.ts': "import { gone } from './gone.ts';\nexport const x = gone;\n",
      // Allowed directions.
      'src/collectors/allowed.ts':
        "import { ids } from '../topology/ids.ts';\nimport type { GraphStore } from '../topology/store/graph-store.ts';\nexport const ok = ids;\nexport type G = GraphStore;\n",
      'src/api/allowed.ts':
        "import type { GraphStore } from '../topology/store/graph-store.ts';\nimport { runQuery } from '../topology/query/index.ts';\nexport const x = runQuery;\nexport type G = GraphStore;\n",
    });
    const r = await cruise(dir);
    const got = r.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(got).toEqual([
      'api-reads-topology: src/api/reads-stitcher.ts → src/topology/stitch/stitcher.ts',
      'browser-no-node: src/ui/web/server-code.ts → fs',
      'browser-only-browser: src/ui/web/server-code.ts → node_modules/pino/index.js',
      'browser-only-browser: src/ui/web/server-code.ts → src/util/log.ts',
      'collectors-not-api: src/collectors/types-from-api.ts → src/api/app.ts',
      'collectors-write-topology: src/collectors/reads-query.ts → src/topology/query/index.ts',
      'parts-not-wiring: src/collectors/imports-wiring.ts → src/collector.ts',
      'resolvable: src/unresolved.ts → ./gone.ts',
      'src-not-test: src/uses-test.ts → test/helper.ts',
      'topology-independent: src/topology/imports-collector.ts → src/collectors/allowed.ts',
    ]);
    // Lint fails on them.
    expect(await lintExit(dir)).not.toBe(0);
    // No rule in the config is left without a case here.
    expect(new Set(r.violations.map((v) => v.rule.name))).toEqual(new Set(RULES));
  });
});
