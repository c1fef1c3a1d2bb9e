// Builds the web UI into dist/ui when it is missing or older than its sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const UI_DIST = join(here, '../../dist/ui');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** True when it had to build. Vite is imported only then, so a built tree needs no Vite at run time. */
export async function ensureUiBuilt(log: (s: string) => void = () => undefined): Promise<boolean> {
  const index = join(UI_DIST, 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  if (built > 0 && newest(join(here, 'web')) <= built) return false;
  log(built ? 'UI sources changed; rebuilding dist/ui' : 'building the web UI into dist/ui');
  const { build } = await import('vite');
  await build({ configFile: join(here, 'vite.config.ts'), logLevel: 'warn' });
  return true;
}
