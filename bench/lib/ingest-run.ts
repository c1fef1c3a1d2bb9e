// The loss-free-rate method shared by sflow.ingest and ipfix.ingest (issue 4, issue 25): the same
// sender, rate steps and loss accounting for Canopy and its pmacct peer in one run. Both receivers
// run side by side (idle when not fed) and take each rate step in turn, so that the load of a
// shared machine, which drifts over minutes, weighs on both alike. Loss = sent − received by
// Canopy's own count; pmacct has no such counter, so its loss is the drops the kernel counted on
// its socket (/proc/net/udp), and a step where it warns of records lost between its core and its
// plugin counts as lossy. The machine-wide RcvbufErrors (other processes' sockets too) and
// Canopy's queue drops are kept in the steps for reference.
import { affinity, allPinned, COLLECTOR_CORE, metric, RATES, rcvbufErrors, sendStep, sleep, socketDrops, STEP } from './ingest-harness.ts';
import { startCollector, startPmacct } from './collector-process.ts';

export interface RunResult {
  rate: number;
  /**
   * The last step was loss-free but the sender fell short of its rate (under 95 %): the receiver
   * took everything the sender could send, so `rate` is a floor, not its limit.
   */
  senderLimited: boolean;
  steps: object[];
  /** Every process and thread of the receiver was confined to the collector core. */
  pinned: boolean;
  processes: ReturnType<typeof affinity>;
}

type Step = { sent: number; loss: number; [k: string]: unknown };

interface Receiver {
  name: string;
  port: number;
  step(rate: number): Promise<Step>;
  processes: ReturnType<typeof affinity>;
  stop(): Promise<void>;
}

/** Not measured: lets the receiver create its exporter/template state and warm up before the steps. */
async function warmUp(tplFile: string, port: number): Promise<void> {
  await sendStep({ tplFile, port, rate: 5000, seconds: 3 });
  await sleep(1000);
}

export interface CanopyRunOptions {
  /** Prometheus `protocol` label of the datagrams (sflow, ipfix). */
  protocol: string;
  /** Listener label of the drop counter (the listener's name: sflow, ipfix). */
  listener: string;
  port: number;
  apiPort: number;
  tplFile: string;
  /** CANOPY_* variables enabling and pointing the listener, and anything else. */
  env: Record<string, string>;
  rates?: number[];
}

async function openCanopy(o: CanopyRunOptions): Promise<Receiver & { receiver: string }> {
  const c = await startCollector(o.apiPort, o.env);
  const received = new RegExp(`^canopy_datagrams_received_total\\{protocol="${o.protocol}"\\} (\\d+)`);
  const dropped = new RegExp(
    `^canopy_datagrams_dropped_total\\{protocol="${o.listener}",reason="(?:queue_full|socket_overflow)"\\} (\\d+)`,
  );
  try {
    const comps = (await c.status()).components as Record<string, { receiver?: string }>;
    const receiver = String(comps[o.listener === 'sflow' ? 'sflow' : 'netflow']?.receiver);
    await warmUp(o.tplFile, o.port);
    return {
      name: `canopy/${o.protocol}`,
      port: o.port,
      receiver,
      processes: affinity(c.pid),
      stop: () => c.stop(),
      async step(rate) {
        const r0 = await metric(c.base, received);
        const d0 = await metric(c.base, dropped);
        const k0 = rcvbufErrors();
        const s0 = socketDrops(o.port);
        const { sent } = await sendStep({ tplFile: o.tplFile, port: o.port, rate });
        // Let the queue and the socket buffer drain: what is still coming is not lost.
        await sleep(2000);
        let got = (await metric(c.base, received)) - r0;
        for (let i = 0; i < 15 && got < sent; i++) {
          await sleep(1000);
          const now = (await metric(c.base, received)) - r0;
          if (now === got) break;
          got = now;
        }
        const queueDrops = (await metric(c.base, dropped)) - d0;
        const socket = socketDrops(o.port) - s0;
        const kernel = rcvbufErrors() - k0;
        return { sent, received: got, loss: sent - got, socketDrops: socket, queueDrops, machineRcvbufErrors: kernel };
      },
    };
  } catch (e) {
    await c.stop();
    throw e;
  }
}

async function openPmacct(daemon: 'sfacctd' | 'nfacctd', port: number, tplFile: string): Promise<Receiver | undefined> {
  const p = await startPmacct(daemon, port);
  if (!p) {
    process.stderr.write(`${daemon} not installed: no peer figure\n`);
    return undefined;
  }
  try {
    await warmUp(tplFile, port);
  } catch (e) {
    await p.stop();
    throw e;
  }
  return {
    name: daemon,
    port,
    processes: p.processes,
    stop: () => p.stop(),
    async step(rate) {
      const k0 = rcvbufErrors();
      const s0 = socketDrops(port);
      const m0 = p.pluginMissing();
      const { sent } = await sendStep({ tplFile, port, rate });
      await sleep(2000);
      const socket = socketDrops(port) - s0;
      const kernel = rcvbufErrors() - k0;
      // pmacct only warns when its core loses records to the plugin: no count, but a lossy step.
      const pluginMissing = p.pluginMissing() - m0;
      return { sent, loss: socket + (pluginMissing > 0 ? 1 : 0), socketDrops: socket, pluginMissing, machineRcvbufErrors: kernel };
    },
  };
}

/**
 * Canopy and its pmacct peer, each rate step taken by one then the other, each stopping at its
 * first lossy step; the figure is the highest loss-free rate (datagrams sent / step seconds). A
 * top step the sender could not reach (one sender process on one core) does not lower it.
 */
export async function compareRun(
  o: CanopyRunOptions,
  daemon: 'sfacctd' | 'nfacctd',
  peerPort: number,
): Promise<{ ours: RunResult & { receiver: string }; peer: RunResult | undefined }> {
  const ours = await openCanopy(o);
  let peer: Receiver | undefined;
  try {
    peer = await openPmacct(daemon, peerPort, o.tplFile);
    const runs = [ours, ...(peer ? [peer] : [])].map((r) => ({ r, steps: [] as object[], best: 0, done: false, short: false }));
    for (const rate of o.rates ?? RATES) {
      for (const run of runs) {
        if (run.done) continue;
        const s = await run.r.step(rate);
        run.steps.push({ rate, ...s });
        process.stderr.write(`${run.r.name} ${rate}/s: ${JSON.stringify(s)}\n`);
        if (s.loss > 0) run.done = true;
        else {
          run.best = Math.max(run.best, Math.round(s.sent / STEP));
          run.short = s.sent < 0.95 * rate * STEP;
        }
      }
      if (runs.every((r) => r.done)) break;
    }
    const result = (i: number): RunResult => {
      const run = runs[i]!;
      return {
        rate: run.best,
        senderLimited: !run.done && run.short,
        steps: run.steps,
        processes: run.r.processes,
        pinned: allPinned(run.r.processes, COLLECTOR_CORE),
      };
    };
    return { ours: { ...result(0), receiver: ours.receiver }, peer: peer ? result(1) : undefined };
  } finally {
    await peer?.stop();
    await ours.stop();
  }
}

export function ratio(ours: number, peer: number | undefined): number | null {
  return peer ? +(ours / peer).toFixed(2) : null;
}

export { STEP };
