// `npm run bench -- --filter sflow.decode`: sFlow decode rate on real datagrams (every sFlow
// fixture plus the Open vSwitch capture), building the full normalized records `canopy decode`
// prints, side by side with the npm package node-sflow on the same datagrams in the same run.
// node-sflow parses in process.nextTick and throws there on records it does not know (Open
// vSwitch counters, expanded samples), which ends its process: it runs in a child process, which
// first finds the datagrams it survives and then times those.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setAddressCache } from '../src/collectors/common/packet-bytes.ts';
import { decodeSflow } from '../src/collectors/sflow/decode.ts';
import { allDatagrams } from '../test/collectors/sflow/fixtures.ts';
import type { Bench } from './run.ts';

const TARGET_MS = Number(process.env.SFLOW_BENCH_MS ?? 3000);

/**
 * CPU seconds (user + system) since `c0`: rates "per core" stay meaningful on a machine shared
 * with other work, where wall time would count the time this process waited for a core.
 */
function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

function hashStr(h: number, s: string | undefined): number {
  if (s === undefined) return Math.imul(h ^ 0x9e37, 16777619);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h;
}

interface Rate {
  samplesPerSec: number;
  nsPerDatagram: number;
  checksum: number;
  datagrams: number;
  samples: number;
}

/**
 * Decodes `set` round-robin for about TARGET_MS; checksum over (srcAddr, dstAddr, bytes, inIf).
 * `cold`: address-text caches off, as if every address were new (worst case for real traffic).
 */
function timeOurs(set: Buffer[], cold = false): Rate {
  setAddressCache(!cold);
  let samplesPerRound = 0;
  let checksum = 0x811c9dc5;
  for (const d of set) {
    const r = decodeSflow(d);
    samplesPerRound += r.stats.samples;
    for (const f of r.flows) {
      checksum = hashStr(checksum, f.srcAddr);
      checksum = hashStr(checksum, f.dstAddr);
      checksum = Math.imul(checksum ^ (f.bytes ?? 0), 16777619);
      checksum = Math.imul(checksum ^ (f.inIf ?? 0), 16777619);
    }
  }
  // Warm-up, then the best of three timed runs (the machine may be shared).
  for (let i = 0; i < 2000; i++) for (const d of set) decodeSflow(d);
  let best = Infinity;
  let sink = 0;
  for (let run = 0; run < 3; run++) {
    let rounds = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    while (performance.now() - t0 < TARGET_MS / 3) {
      for (let k = 0; k < 200; k++) for (const d of set) sink += decodeSflow(d).flows.length;
      rounds += 200;
    }
    best = Math.min(best, cpuSeconds(c0) / rounds);
  }
  if (sink < 0) throw new Error('unreachable');
  setAddressCache(true);
  return {
    samplesPerSec: samplesPerRound / best,
    nsPerDatagram: (best * 1e9) / set.length,
    checksum: checksum >>> 0,
    datagrams: set.length,
    samples: samplesPerRound,
  };
}

interface PeerResult {
  survived: number[];
  failed: number;
  samplesPerSec: number;
  nsPerDatagram: number;
}

/** Child-process side: node-sflow on every datagram (one at a time to find its crashes), then timed. */
async function runPeerChild(): Promise<void> {
  const require = createRequire(import.meta.url);
  const Packet = require('node-sflow/lib/packet') as new (b: Buffer) => { on(ev: string, cb: (p: { flows: unknown[] }) => void): void };
  const set = allDatagrams();
  const state = { crashed: false };
  process.on('uncaughtException', () => {
    state.crashed = true;
  });
  const tick = () => new Promise<void>((r) => setImmediate(r));
  const survived: number[] = [];
  let samplesPerRound = 0;
  for (let i = 0; i < set.length; i++) {
    state.crashed = false;
    let n = -1;
    new Packet(set[i]!).on('done', (p) => {
      n = p.flows.length;
    });
    await tick();
    if (!state.crashed && n >= 0) {
      survived.push(i);
      samplesPerRound += n;
    }
  }
  const ok = survived.map((i) => set[i]!);
  for (let i = 0; i < 2000; i++) for (const d of ok) new Packet(d);
  await tick();
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    let rounds = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    while (performance.now() - t0 < TARGET_MS / 3) {
      for (let k = 0; k < 200; k++) for (const d of ok) new Packet(d);
      await tick(); // its parsing runs in process.nextTick, i.e. before this resolves
      rounds += 200;
    }
    best = Math.min(best, cpuSeconds(c0) / rounds);
  }
  const res: PeerResult = {
    survived,
    failed: set.length - survived.length,
    samplesPerSec: samplesPerRound / best,
    nsPerDatagram: (best * 1e9) / Math.max(1, ok.length),
  };
  process.stdout.write(JSON.stringify(res) + '\n');
}

if (process.env.SFLOW_BENCH_PEER === 'node-sflow') await runPeerChild();

function runPeer(): PeerResult | { error: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, SFLOW_BENCH_PEER: 'node-sflow' },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as PeerResult;
  } catch {
    return { error: `node-sflow child exited ${r.status}: ${r.stderr.slice(-400)}` };
  }
}

export const benches: Bench[] = [
  {
    name: 'sflow.decode',
    async run(emit) {
      const set = allDatagrams();
      const ours = timeOurs(set);
      const cold = timeOurs(set, true);
      const peer = runPeer();
      const base = {
        bench: 'sflow.decode',
        unit: 'samples/s',
        timeBase: 'process CPU seconds (per core)',
        nsPerDatagram: +ours.nsPerDatagram.toFixed(1),
        datagrams: ours.datagrams,
        samplesPerRound: ours.samples,
        checksum: ours.checksum,
        valueColdAddressCache: Math.round(cold.samplesPerSec),
        nsPerDatagramColdAddressCache: +cold.nsPerDatagram.toFixed(1),
        undecodable: set.filter((d) => !decodeSflow(d).ok).length,
      };
      if ('error' in peer) {
        emit({ ...base, value: Math.round(ours.samplesPerSec), peer: 'node-sflow', peerError: peer.error });
        return;
      }
      // Ours again on exactly the datagrams node-sflow survives, for a like-for-like ratio.
      const subset = timeOurs(peer.survived.map((i) => set[i]!));
      emit({
        ...base,
        value: Math.round(ours.samplesPerSec),
        peer: 'node-sflow',
        peerValue: Math.round(peer.samplesPerSec),
        peerNsPerDatagram: +peer.nsPerDatagram.toFixed(1),
        peerFailedDatagrams: peer.failed,
        valueOnPeerSubset: Math.round(subset.samplesPerSec),
        ratioOnPeerSubset: +(subset.samplesPerSec / peer.samplesPerSec).toFixed(2),
        peerNote: 'node-sflow only slices sample/record headers (no L2-L4 parse); timed on the datagrams it survives',
      });
    },
  },
];
