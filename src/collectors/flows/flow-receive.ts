// How a flow collector receives: in the main thread (UdpListener: `workers: 1`, or node:dgram, which
// has no SO_REUSEPORT on Node 20), or by N worker threads per listen address that each bind the port
// with SO_REUSEPORT and decode there (worker-pool.ts), handing their batches to `onBatch`.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { Counter, Registry } from 'prom-client';
import { RateLimitedLog, type Logger } from '../../util/log.ts';
import { formatListen, listenList, parseListen } from '../../util/listen.ts';
import { counter, preset } from '../../util/metrics.ts';
import { LISTENER_DROP_REASONS, UdpListener, type Datagram, type ReceiverMode } from './udp-listener.ts';
import { loadUdpBatch } from './udp-batch.ts';
import { WorkerPool } from './worker-pool.ts';

/** Receive losses a worker reports with each batch. */
export interface WorkerLoss {
  datagrams: number;
  socketOverflow: number;
  truncated: number;
  handlerErrors: number;
}

export interface FlowReceiveOptions<B extends WorkerLoss> {
  protocol: string;
  listen: string | string[];
  receiveBuffer: number;
  queueSize: number;
  receiver: ReceiverMode;
  dropped: Counter<'protocol' | 'reason'>;
  log: Logger;
  registry: Registry;
  /** Threads per listen address (1: the main thread). */
  workers: number;
  /** The worker module (worker-pool.ts siblingModule). */
  entry: URL;
  /** Main-thread path. */
  handle: (d: Datagram) => void;
  afterBatch: () => void;
  /** Worker path. */
  onBatch: (b: B) => void;
  /** Worker path: other messages from worker `worker` of listen address `pool` (worker-pool.ts onMessage). */
  onWorkerMessage?: (m: { type: string }, pool: number, worker: number) => void;
  /** Worker path: worker `worker` of listen address `pool` is up. */
  onWorkerReady?: (pool: number, worker: number) => void;
  workerData?: Record<string, unknown>;
}

/** Datagrams the native receiver reads ahead in each worker. */
const WORKER_SLOTS = 1024;

export class FlowReceive<B extends WorkerLoss> {
  private listener: UdpListener | undefined;
  private readonly pools: WorkerPool<B>[] = [];
  private readonly restarts: Counter<'protocol'>;
  readonly bound: string[] = [];
  workers = 1;
  private socketOverflows = 0;
  private truncated = 0;
  private readonly failures: RateLimitedLog;

  constructor(private readonly opts: FlowReceiveOptions<B>) {
    this.failures = new RateLimitedLog(opts.log);
    this.restarts = counter(
      opts.registry,
      'canopy_flow_worker_restarts_total',
      'Flow receive/decode worker threads that crashed and were started again',
      ['protocol'],
    );
    preset(this.restarts, { protocol: [opts.protocol] });
  }

  get mode(): string {
    return this.listener ? this.listener.mode : 'recvmmsg';
  }

  get receiveBufferBytes(): number {
    return this.listener ? this.listener.receiveBufferBytes : (this.pools[0]?.receiveBufferBytes ?? 0);
  }

  async start(): Promise<void> {
    const o = this.opts;
    const native = o.receiver !== 'dgram' && loadUdpBatch() !== undefined;
    if (o.workers > 1 && !native)
      o.log.warn({ workers: o.workers, receiver: o.receiver }, 'receive workers need the native receiver; receiving in the main thread');
    if (o.workers <= 1 || !native) {
      this.workers = 1;
      this.listener = new UdpListener({ ...o, afterBatch: o.afterBatch });
      await this.listener.start();
      this.bound.push(...this.listener.bound);
      return;
    }
    this.workers = o.workers;
    preset(o.dropped, { protocol: [o.protocol], reason: LISTENER_DROP_REASONS });
    for (const l of listenList(o.listen)) {
      const { host, port } = parseListen(l);
      const addr = isIP(host) ? host : (await lookup(host)).address;
      const index = this.pools.length;
      const pool = new WorkerPool<B>({
        protocol: o.protocol,
        entry: o.entry,
        count: o.workers,
        socket: { host: addr, port, receiveBuffer: o.receiveBuffer, slots: Math.min(o.queueSize, WORKER_SLOTS), batch: 512 },
        log: o.log,
        restarts: this.restarts,
        onBatch: (b) => this.batch(b),
        onMessage: o.onWorkerMessage && ((m, w) => o.onWorkerMessage!(m, index, w)),
        onReady: o.onWorkerReady && ((w) => o.onWorkerReady!(index, w)),
        workerData: o.workerData,
      });
      this.pools.push(pool);
      await pool.start();
      this.bound.push(formatListen({ host: addr, port: pool.port }));
    }
  }

  private batch(b: B): void {
    const { dropped, protocol } = this.opts;
    if (b.socketOverflow) {
      this.socketOverflows += b.socketOverflow;
      dropped.inc({ protocol, reason: 'socket_overflow' }, b.socketOverflow);
    }
    if (b.truncated) {
      this.truncated += b.truncated;
      dropped.inc({ protocol, reason: 'truncated' }, b.truncated);
    }
    if (b.handlerErrors) {
      dropped.inc({ protocol, reason: 'handler_error' }, b.handlerErrors);
      this.failures.error(`${protocol}:worker-handler`, { count: b.handlerErrors }, 'datagram handler failed in a worker');
    }
    this.opts.onBatch(b);
  }

  /** Posts `msg` to every worker (but worker `except.worker` of listen address `except.pool`). */
  post(msg: unknown, except?: { pool: number; worker: number }): void {
    this.pools.forEach((p, i) => p.post(msg, except?.pool === i ? except.worker : -1));
  }

  postTo(pool: number, worker: number, msg: unknown): void {
    this.pools[pool]?.postTo(worker, msg);
  }

  /** Worker threads alive (none after stop()). */
  get threadIds(): number[] {
    return this.pools.flatMap((p) => p.threadIds);
  }

  /** Tests: make worker `i` of the first listen address throw. */
  crashWorker(i: number): void {
    this.pools[0]?.crash(i);
  }

  get workerCrashes(): number {
    return this.pools.reduce((n, p) => n + p.crashes, 0);
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
    await Promise.all(this.pools.map((p) => p.stop()));
  }

  status(): Record<string, unknown> {
    const l = this.listener;
    return {
      listen: this.bound,
      receiver: this.mode,
      workers: this.workers,
      workerRestarts: this.workerCrashes,
      workerThreads: this.threadIds.length,
      // Datagrams each worker of each listen address decoded: how the kernel spread the exporters.
      workerDatagrams: this.pools.map((p) => [...p.datagrams]),
      queued: l ? l.queued : 0,
      queueDrops: l ? l.queueDrops : 0,
      socketOverflows: l ? l.socketOverflows : this.socketOverflows,
      truncated: l ? l.truncated : this.truncated,
      receiveBuffer: this.receiveBufferBytes,
    };
  }
}
