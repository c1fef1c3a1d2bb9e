// sflow.ingest: the loss-free rate (datagrams/s) of a running collector fed real sFlow datagrams
// over loopback with SQLite writes on, beside pmacct's sfacctd fed the same stream the same way.
// Method (issue 4, bench/lib/ingest-run.ts): a separate sender process pinned to the other core,
// STEP seconds per rate step (60 by default; BENCH_STEP_SECONDS to shorten), ≥ 100k distinct flow
// keys per minute (addresses and ports rewritten in the real datagrams), loss = sent − received by
// Canopy's count, the drops on sfacctd's socket for the peer; the two take each step in turn.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { udpPayloads } from '../src/collectors/common/pcap.ts';
import { decodeSflow } from '../src/collectors/sflow/decode.ts';
import { ROOT, STEP, withRmemMax } from './lib/ingest-harness.ts';
import { compareRun, ratio } from './lib/ingest-run.ts';
import type { Bench, Emit } from './run.ts';

const KEYS_PER_MINUTE = 120_000;

/** Real flow-sample datagrams with the offsets of each sampled IPv4 header's addresses and ports. */
export function templates(): { hex: string; rewrite: number[] }[] {
  const out: { hex: string; rewrite: number[] }[] = [];
  for (const f of ['ovs-sflow.pcap', 'akvorado__data-1140.pcap', 'akvorado__data-sflow-raw-ipv4.pcap', 'akvorado__data-qinq.pcap']) {
    for (const u of udpPayloads(readFileSync(join(ROOT, 'fixtures/pcaps', f)))) {
      const dg = decodeSflow(u.payload);
      const rewrite: number[] = [];
      // Records come in datagram order: search on from the previous one, so that two samples of
      // the same flow in one datagram get an offset each (and a key each), not the first's twice.
      let from = 0;
      for (const r of dg.flows) {
        if (!r.srcAddr || !r.dstAddr || r.srcAddr.includes(':')) continue;
        const pat = Buffer.from([...r.srcAddr.split('.'), ...r.dstAddr.split('.')].map(Number));
        const a = u.payload.indexOf(pat, from);
        if (a < 12) continue;
        from = a + 8;
        const ip = a - 12;
        const l4 = r.srcPort !== undefined ? ip + (u.payload[ip]! & 0x0f) * 4 : 0;
        rewrite.push(a, l4);
      }
      if (rewrite.length) out.push({ hex: u.payload.toString('hex'), rewrite });
    }
  }
  return out;
}

async function measure(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-tpl-'));
  try {
    const tplFile = join(dir, 'templates.json');
    const tpl = templates();
    writeFileSync(tplFile, JSON.stringify(tpl));
    const { ours, peer } = await compareRun(
      {
        protocol: 'sflow',
        listener: 'sflow',
        port: 26343,
        apiPort: 28082,
        tplFile,
        env: {
          CANOPY_SFLOW_ENABLED: 'true',
          CANOPY_SFLOW_LISTEN: '127.0.0.1:26343',
          // BENCH_INGEST_RECEIVER=dgram measures the node:dgram fallback instead of recvmmsg.
          CANOPY_SFLOW_RECEIVER: process.env.BENCH_INGEST_RECEIVER ?? 'auto',
        },
      },
      'sfacctd',
      26344,
    );
    emit({
      bench: 'sflow.ingest',
      value: ours.rate,
      unit: 'datagrams/s (loss-free)',
      ...(peer ? { peer: 'sfacctd', peerValue: peer.rate, ratio: ratio(ours.rate, peer.rate) } : {}),
      receiver: ours.receiver,
      // True: the collector lost nothing at the top step the sender reached; its limit is higher.
      senderLimited: { canopy: ours.senderLimited, peer: peer?.senderLimited },
      stepSeconds: STEP,
      distinctKeysPerMinute: KEYS_PER_MINUTE,
      templates: tpl.length,
      pinned: { canopy: ours.pinned, peer: peer?.pinned },
      processes: { canopy: ours.processes, peer: peer?.processes },
      steps: ours.steps,
      peerSteps: peer?.steps,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'sflow.ingest', run: (emit) => withRmemMax('sflow.ingest', () => measure(emit)) }];
