// The loss-free-rate method shared by sflow.ingest and ipfix.ingest (issue 4, issue 25): the same
// sender, rate steps and loss accounting for Canopy and its pmacct peer, one after the other in
// one run. Loss = sent − received by Canopy's own count; pmacct has no such counter, so its loss
// is the drops the kernel counted on its socket (/proc/net/udp), and a step where it warns of
// records lost between its core and its plugin counts as lossy. The machine-wide RcvbufErrors
// (other processes' sockets too) and Canopy's queue drops are kept in the steps for reference.
import {
  affinity,
  allPinned,
  COLLECTOR_CORE,
  metric,
  rateSteps,
  rcvbufErrors,
  sendStep,
  sleep,
  socketDrops,
  STEP,
} from './ingest-harness.ts';
import { startCollector, startPmacct } from './collector-process.ts';

export interface RunResult {
  rate: number;
  steps: object[];
  /** Every process and thread of the receiver was confined to the collector core. */
  pinned: boolean;
  processes: ReturnType<typeof affinity>;
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

export async function canopyRun(o: CanopyRunOptions): Promise<RunResult & { receiver: string }> {
  const c = await startCollector(o.apiPort, o.env);
  const received = new RegExp(`^canopy_datagrams_received_total\\{protocol="${o.protocol}"\\} (\\d+)`);
  const dropped = new RegExp(
    `^canopy_datagrams_dropped_total\\{protocol="${o.listener}",reason="(?:queue_full|socket_overflow)"\\} (\\d+)`,
  );
  try {
    const comps = (await c.status()).components as Record<string, { receiver?: string }>;
    const receiver = String(comps[o.listener === 'sflow' ? 'sflow' : 'netflow']?.receiver);
    await warmUp(o.tplFile, o.port);
    const processes = affinity(c.pid);
    const r = await rateSteps(
      `canopy/${o.protocol}`,
      async (rate) => {
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
      o.rates,
    );
    return { ...r, receiver, processes, pinned: allPinned(processes, COLLECTOR_CORE) };
  } finally {
    await c.stop();
  }
}

export async function pmacctRun(
  daemon: 'sfacctd' | 'nfacctd',
  port: number,
  tplFile: string,
  rates?: number[],
): Promise<(RunResult & { daemon: string }) | undefined> {
  const p = await startPmacct(daemon, port);
  if (!p) {
    process.stderr.write(`${daemon} not installed: no peer figure\n`);
    return undefined;
  }
  try {
    await warmUp(tplFile, port);
    const r = await rateSteps(
      daemon,
      async (rate) => {
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
      rates,
    );
    return { ...r, daemon, processes: p.processes, pinned: p.pinnedToCollectorCore };
  } finally {
    await p.stop();
  }
}

export function ratio(ours: number, peer: number | undefined): number | null {
  return peer ? +(ours / peer).toFixed(2) : null;
}

export { STEP };
