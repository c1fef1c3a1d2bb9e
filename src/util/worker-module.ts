// Worker threads on Canopy's own modules. A source checkout (tsx, vitest) runs TypeScript: the new
// thread registers tsx's loader before it imports the module. A built install runs the .js beside
// the caller and has no tsx.
import { Worker, type Transferable } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The URL of a worker module beside `base` (import.meta.url), in the caller's own extension. */
export function siblingModule(base: string, name: string): URL {
  return new URL(`${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/** A worker on the module at `entry`, with `data` as its workerData. */
export function startWorker(entry: URL, data: object, transferList?: readonly Transferable[]): Worker {
  const opts = { workerData: data, ...(transferList ? { transferList: [...transferList] } : {}) };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, opts);
  // The ESM build of tsx's API (its CommonJS one cannot register from an eval'd script).
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { ...opts, eval: true });
}
