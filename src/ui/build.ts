// Builds the web UI into dist/ui when it is missing or older than its sources.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const UI_DIST = join(here, '../../dist/ui');
/** The browser sources; present in a checkout. */
export const UI_SOURCES = join(here, 'web');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function builtAt(dir: string): number {
  const index = join(dir, 'index.html');
  return existsSync(index) ? statSync(index).mtimeMs : 0;
}

/**
 * True when it had to build. Vite is imported only then, so a built tree needs no Vite at run time.
 * The build goes to a folder of its own and is renamed into place, so that two processes starting
 * at once (a collector and a test, two test files) never serve or clobber a half-written tree.
 */
export async function ensureUiBuilt(log: (s: string) => void = () => undefined, outDir: string = UI_DIST): Promise<boolean> {
  const built = builtAt(outDir);
  if (built > 0 && newest(UI_SOURCES) <= built) return false;
  log(built ? `UI sources changed; rebuilding ${outDir}` : `building the web UI into ${outDir}`);
  const { build } = await import('vite');
  const tmp = `${outDir}.build-${process.pid}-${Date.now()}`;
  try {
    await build({ configFile: join(here, 'vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    // Another process may have put a current build in place meanwhile: keep that one.
    const now = builtAt(outDir);
    if (now > 0 && newest(UI_SOURCES) <= now) return true;
    const old = `${tmp}.old`;
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
