// A copy of the collector that an unprivileged user can run: the checkout may sit in a 0700 home
// directory or have been cloned with umask 077, and a process that has dropped to nobody can then
// read none of it (capabilities do not help: Node's module resolution uses access(2), which checks
// the real user). Only what `node bin/canopy.js` loads is copied: bin, src, package.json, the
// production dependencies and tsx (a development dependency: a checkout runs src/ through it).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/** Parts of packages that are never loaded at run time (sources of native addons, build objects). */
const SKIP = /\/better-sqlite3\/(deps|src)(\/|$)|\/build\/Release\/(obj|\.deps)/;

function openUp(p: string): void {
  const st = statSync(p);
  chmodSync(p, st.isDirectory() || st.mode & 0o100 ? 0o755 : 0o644);
  if (st.isDirectory()) for (const e of readdirSync(p)) openUp(join(p, e));
}

/** A package and what it depends on, as paths under the checkout (hoisted or nested node_modules). */
function closure(name: string, from = ROOT, out = new Set<string>()): Set<string> {
  for (let base = from; ; base = resolve(base, '..')) {
    const dir = join(base, 'node_modules', name);
    if (existsSync(join(dir, 'package.json'))) {
      const rel = relative(ROOT, dir);
      if (out.has(rel)) return out;
      out.add(rel);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) closure(dep, dir, out);
      return out;
    }
    if (base === ROOT || base === '/') return out; // an optional dependency for another platform
  }
}

export interface ReadableInstall {
  dir: string;
  remove(): void;
}

export function readableInstall(): ReadableInstall {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-install-'));
  const packages = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((p) => p.includes('node_modules'))
    .map((p) => relative(ROOT, p));
  for (const part of ['bin', 'src', 'package.json', ...new Set([...packages, ...closure('tsx')])]) {
    cpSync(join(ROOT, part), join(dir, part), { recursive: true, filter: (src) => !SKIP.test(src) });
  }
  openUp(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
