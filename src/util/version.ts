// What this Canopy is: the package version (package.json, read once), the Node.js version, and the
// git commit when it runs from a checkout (or CANOPY_COMMIT says so, for packaged builds).
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// src/util/ and dist/util/ both sit two levels below the package root.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let version: string | undefined;
let commit: string | null | undefined;

export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
  return version;
}

/** Short commit hash, or null when neither CANOPY_COMMIT nor a git checkout tells. */
export function gitCommit(): string | null {
  if (commit !== undefined) return commit;
  const env = process.env.CANOPY_COMMIT?.trim();
  if (env) return (commit = env);
  try {
    const [top, hash] = execFileSync('git', ['rev-parse', '--show-toplevel', '--short=12', 'HEAD'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    // Only Canopy's own checkout: installed inside another project's repository, that one's HEAD is not ours.
    commit = top && hash && realpathSync(top) === realpathSync(ROOT) && /^[0-9a-f]{7,40}$/.test(hash) ? hash : null;
  } catch {
    commit = null;
  }
  return commit;
}
