// DOT → SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz): no system binary, no
// download (the module embeds its wasm). Layout is synchronous and grows fast with the graph (a
// 5,000-edge matrix takes ~15 s), so it runs in a worker thread: the collector's event loop (flow
// listeners, the API) never waits for it. One worker, started on first use, unref'd; a layout
// running past the deadline ends the worker (the next call starts another).
import { Worker } from 'node:worker_threads';

/** What one rendering may take before it is abandoned. */
export const SVG_TIMEOUT_MS = 30_000;

// Plain JS evaluated in the worker: imports the package by the URL the main thread resolved.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = import(workerData.url).then((m) => m.Graphviz.load());
parentPort.on('message', async ({ id, dot }) => {
  try {
    const gv = await ready;
    parentPort.postMessage({ id, svg: gv.dot(dot, 'svg') });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message || e) });
  }
});`;

export class SvgTimeoutError extends Error {}

interface Pending {
  resolve(svg: string): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface Renderer {
  worker: Worker;
  /** Requests sent to this worker: a worker that ends fails only its own. */
  pending: Map<number, Pending>;
}

let current: Renderer | undefined;
let seq = 0;

function start(): Renderer {
  const worker = new Worker(WORKER, { eval: true, workerData: { url: import.meta.resolve('@hpcc-js/wasm-graphviz') } });
  worker.unref();
  const r: Renderer = { worker, pending: new Map() };
  const failAll = (e: Error) => {
    if (current === r) current = undefined;
    for (const p of r.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    r.pending.clear();
  };
  worker.on('message', (m: { id: number; svg?: string; error?: string }) => {
    const p = r.pending.get(m.id);
    if (!p) return;
    r.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.svg !== undefined) p.resolve(m.svg);
    else p.reject(new Error(`Graphviz: ${m.error ?? 'no answer'}`));
  });
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('the Graphviz worker exited')));
  return r;
}

export function dotToSvg(dot: string, timeoutMs = SVG_TIMEOUT_MS): Promise<string> {
  const r = (current ??= start());
  const id = ++seq;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      r.pending.delete(id);
      reject(new SvgTimeoutError(`the SVG layout took longer than ${timeoutMs} ms`));
      // The layout cannot be interrupted: the worker goes, failing whatever else it had queued.
      if (current === r) current = undefined;
      void r.worker.terminate();
    }, timeoutMs);
    r.pending.set(id, { resolve, reject, timer });
    r.worker.postMessage({ id, dot });
  });
}
