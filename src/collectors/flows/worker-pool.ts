// Receive/decode worker threads for one flow listen address (sflow.workers, netflow.workers): each
// binds the same port with SO_REUSEPORT, so the kernel spreads exporters over them by their 4-tuple
// and one exporter's datagrams stay on one thread, in order. Their batches come back to the main
// thread through `onBatch`. A worker that throws or exits is counted, logged and started again on
// the same port; stop() closes every socket and waits for each thread's last batch and its exit.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../util/worker-module.ts';
import type { Counter } from 'prom-client';
import type { Logger } from '../../util/log.ts';

export interface WorkerSocketOptions {
  host: string;
  port: number;
  receiveBuffer: number;
  slots: number;
  batch: number;
}

export interface WorkerPoolOptions<B extends { datagrams: number }> {
  protocol: string;
  /** The worker module, as a URL beside the caller (`.ts` under tsx/vitest, `.js` when built). */
  entry: URL;
  count: number;
  socket: WorkerSocketOptions;
  log: Logger;
  /** canopy_flow_worker_restarts_total, labelled by protocol. */
  restarts: Counter<'protocol'>;
  onBatch: (b: B) => void;
  /** Other messages a worker posts (NetFlow: templates it learned), with the worker's index. */
  onMessage?: (m: { type: string }, worker: number) => void;
  /** A worker is up (first start or restart): e.g. hand it the state the others learned. */
  onReady?: (worker: number) => void;
  /** More workerData beside the socket options (the protocol's own settings). */
  workerData?: Record<string, unknown>;
}

/** Started again this long after a crash (a worker failing at once must not spin a core). */
const RESTART_MS = 200;
/** A worker that has not exited this long after stop() is terminated. */
const STOP_MS = 3000;

interface Slot {
  worker: Worker | undefined;
  exited: Promise<void>;
}

export class WorkerPool<B extends { datagrams: number }> {
  private readonly slots: Slot[] = [];
  private stopping = false;
  port = 0;
  receiveBufferBytes = 0;
  /** Workers that crashed (threw or exited unasked) since start. */
  crashes = 0;
  /** Datagrams each worker handed over since start. */
  readonly datagrams: number[] = [];

  constructor(private readonly opts: WorkerPoolOptions<B>) {}

  get running(): number {
    return this.slots.filter((s) => s.worker !== undefined).length;
  }

  /** Threads alive now (for tests: none after stop()). */
  get threadIds(): number[] {
    return this.slots.flatMap((s) => (s.worker ? [s.worker.threadId] : []));
  }

  async start(): Promise<void> {
    // The first worker binds (port 0 picks one); the others join the port it got.
    this.port = this.opts.socket.port;
    await this.spawn(0);
    await Promise.all(Array.from({ length: this.opts.count - 1 }, (_, i) => this.spawn(i + 1)));
  }

  private spawn(i: number): Promise<void> {
    const worker = startWorker(this.opts.entry, { ...this.opts.workerData, ...this.opts.socket, port: this.port });
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const isReady = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    let up = false;
    const exited = new Promise<void>((res) => worker.once('exit', () => res()));
    this.slots[i] = { worker, exited };
    worker.on('message', (m: { type: string; port?: number; receiveBuffer?: number; datagrams?: number }) => {
      if (m.type === 'batch') {
        this.datagrams[i] = (this.datagrams[i] ?? 0) + m.datagrams!;
        try {
          this.opts.onBatch(m as unknown as B);
        } catch (err) {
          this.opts.log.error({ err }, 'applying a worker batch failed');
        }
      } else if (m.type === 'ready') {
        up = true;
        this.port = m.port!;
        this.receiveBufferBytes = m.receiveBuffer!;
        ready();
        this.opts.onReady?.(i);
      } else this.opts.onMessage?.(m, i);
    });
    worker.on('error', (err) => {
      // Before it was ready (bind failed): start() fails with the reason, nothing restarts.
      if (!up) return failed(err);
      this.crashes++;
      this.opts.restarts.inc({ protocol: this.opts.protocol });
      this.opts.log.error({ err, worker: i }, 'flow worker crashed; starting it again');
    });
    worker.on('exit', (code) => {
      if (this.slots[i]?.worker === worker) this.slots[i] = { worker: undefined, exited };
      if (!up) return failed(new Error(`${this.opts.protocol} worker exited (code ${code}) before it was ready`));
      if (this.stopping) return;
      setTimeout(() => {
        if (this.stopping) return;
        this.spawn(i).catch((err: unknown) => this.opts.log.error({ err, worker: i }, 'flow worker failed to start again'));
      }, RESTART_MS).unref();
    });
    return isReady;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (s) => {
        const w = s.worker;
        if (!w) return;
        w.postMessage({ type: 'stop' });
        const timer = setTimeout(() => void w.terminate(), STOP_MS);
        await s.exited;
        clearTimeout(timer);
      }),
    );
    this.slots.length = 0;
  }

  /** Posts `msg` to every live worker but `except`. */
  post(msg: unknown, except = -1): void {
    this.slots.forEach((s, i) => {
      if (i !== except) s.worker?.postMessage(msg);
    });
  }

  /** Posts `msg` to worker `i` (if it is alive). */
  postTo(i: number, msg: unknown): void {
    this.slots[i]?.worker?.postMessage(msg);
  }

  /** Makes worker `i` throw (tests: a crash is counted, logged and the worker restarted). */
  crash(i: number): void {
    this.slots[i]?.worker?.postMessage({ type: 'throw' });
  }
}
