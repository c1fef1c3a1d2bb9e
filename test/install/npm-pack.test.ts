// `npm pack` → `npm install -g --prefix <tmp> canopy-*.tgz` → the installed `canopy` validates a
// config and serves /healthz from compiled JS: no TypeScript in the package, no tsx installed, and
// the collector still starts when the native addons are missing (they are optional).
// The pack runs in a copy of the sources so that its build never rewrites this checkout's dist/.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackConfig, startCollector } from './collector-process.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
// What `npm pack` reads: the package's files plus what its prepack build needs.
const SOURCES = [
  'package.json',
  'bin',
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'binding.gyp',
  'LICENSE',
  'README.md',
  'contrib',
  'Dockerfile',
  'docs/install.md',
];

let work: string;
let prefix: string;
let pkgDir: string;
let files: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'canopy-pack-'));
  const copy = join(work, 'src-copy');
  mkdirSync(join(copy, 'docs'), { recursive: true });
  for (const f of SOURCES) cpSync(join(ROOT, f), join(copy, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const out = join(work, 'out');
  mkdirSync(out);
  await run('npm', ['pack', '--pack-destination', out], { cwd: copy, maxBuffer: 64 << 20 });
  const tgz = readdirSync(out).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack wrote no tarball');
  files = (await run('tar', ['tzf', join(out, tgz)], { maxBuffer: 64 << 20 })).stdout.trim().split('\n');
  prefix = join(work, 'prefix');
  // Dependencies come from npm's cache when it has them (the registry otherwise); Canopy itself from the tarball.
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(out, tgz)], {
    cwd: work,
    maxBuffer: 64 << 20,
    timeout: 540_000,
  });
  pkgDir = join(prefix, 'lib/node_modules/canopy');
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack → install into a clean prefix', () => {
  it('packs compiled JS, the built UI and the addon sources, and no TypeScript or test data', () => {
    expect(files).toContain('package/bin/canopy.js');
    expect(files).toContain('package/dist/cli.js');
    expect(files).toContain('package/dist/collector.js');
    expect(files).toContain('package/dist/ui/index.html');
    expect(files).toContain('package/binding.gyp');
    expect(files).toContain('package/src/collectors/flows/native/udp-batch.c');
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('package/fixtures/') || f.startsWith('package/test/'))).toEqual([]);
  });

  it('installs without tsx and runs from dist/', async () => {
    expect(existsSync(join(prefix, 'bin/canopy'))).toBe(true);
    expect(existsSync(join(pkgDir, 'node_modules/tsx'))).toBe(false);
    const v = await run(join(prefix, 'bin/canopy'), ['--version'], { cwd: work });
    expect(v.stdout.trim()).toMatch(/^canopy \d+\.\d+\.\d+$/);
  });

  it('`canopy collector --check` validates a config, and rejects a bad one with exit 2', async () => {
    const cfg = join(work, 'check.yml');
    writeFileSync(cfg, loopbackConfig(join(work, 'check-data'), 18082));
    const ok = await run(join(prefix, 'bin/canopy'), ['collector', '--config', cfg, '--check'], { cwd: work });
    expect(ok.stdout).toContain('config OK');
    writeFileSync(cfg, 'api: { lisen: 127.0.0.1:1 }\n');
    const bad = await run(join(prefix, 'bin/canopy'), ['collector', '--config', cfg, '--check'], { cwd: work }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect('code' in bad ? bad.code : 0).toBe(2);
  });

  it('starts and answers /healthz and /metrics', async () => {
    const c = await startCollector(join(prefix, 'bin/canopy'), [], { timeoutMs: 90_000 });
    try {
      const metrics = await (await fetch(`${c.url}/metrics`)).text();
      expect(metrics).toContain('canopy_build_info');
      // Built at install time where a compiler is present (here): the batched receiver is in use.
      if (existsSync(join(pkgDir, 'build/Release/udp_batch.node'))) {
        expect(JSON.stringify(await (await fetch(`${c.url}/api/status`)).json())).toMatch(/"receiver":"recvmmsg"/);
      }
      expect(c.output()).not.toMatch(/tsx/);
    } finally {
      expect(await c.stop()).toBe(0);
    }
  }, 120_000);

  it('starts without its native addons (optional: the flow listeners fall back to node:dgram)', async () => {
    rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
    const c = await startCollector(join(prefix, 'bin/canopy'), [], { timeoutMs: 90_000 });
    try {
      const status = await (await fetch(`${c.url}/api/status`)).json();
      expect(JSON.stringify(status)).toMatch(/"receiver":"dgram"/);
      expect(JSON.stringify(status)).not.toMatch(/"receiver":"recvmmsg"/);
    } finally {
      await c.stop();
    }
  }, 120_000);
});
