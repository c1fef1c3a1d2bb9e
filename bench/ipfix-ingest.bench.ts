// ipfix.ingest: the loss-free rate (datagrams/s) of a running collector fed real IPFIX messages over
// loopback with SQLite writes on, beside pmacct's nfacctd fed the same stream the same way; the
// method of sflow.ingest (bench/lib/ingest-run.ts). The messages come from the IPFIX captures in
// fixtures/pcaps (bench/lib/ipfix-templates.ts): their template sets go out first and every 2 s,
// their data records get fresh addresses and ports at the offsets the templates give
// (≥ 100k distinct keys per minute), and the header sequence numbers advance as an exporter's would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEP, withRmemMax } from './lib/ingest-harness.ts';
import { compareRun, ratio } from './lib/ingest-run.ts';
import { ipfixTemplates } from './lib/ipfix-templates.ts';
import type { Bench, Emit } from './run.ts';

// Canopy's IPFIX path starts well below its sFlow one (about 5 records per datagram, each decoded by
// the compiled template): the steps start lower so both receivers' loss-free rates are found.
const RATES = (
  process.env.BENCH_INGEST_RATES ?? '25000,50000,75000,100000,125000,150000,175000,200000,225000,250000,275000,300000,350000,400000'
)
  .split(',')
  .map(Number);

async function measure(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ipfix-tpl-'));
  try {
    const tplFile = join(dir, 'templates.json');
    const tpl = ipfixTemplates();
    writeFileSync(tplFile, JSON.stringify(tpl));
    const data = tpl.filter((t) => !t.periodic);
    const { ours, peer } = await compareRun(
      {
        protocol: 'ipfix',
        listener: 'ipfix',
        port: 24739,
        apiPort: 28083,
        tplFile,
        env: {
          CANOPY_IPFIX_ENABLED: 'true',
          CANOPY_IPFIX_LISTEN: '127.0.0.1:24739',
          CANOPY_NETFLOW_RECEIVER: process.env.BENCH_INGEST_RECEIVER ?? 'auto',
        },
        rates: RATES,
      },
      'nfacctd',
      24740,
    );
    emit({
      bench: 'ipfix.ingest',
      value: ours.rate,
      unit: 'datagrams/s (loss-free)',
      ...(peer ? { peer: 'nfacctd', peerValue: peer.rate, ratio: ratio(ours.rate, peer.rate) } : {}),
      receiver: ours.receiver,
      // True: the collector lost nothing at the top step the sender reached; its limit is higher.
      senderLimited: { canopy: ours.senderLimited, peer: peer?.senderLimited },
      stepSeconds: STEP,
      templateMessages: tpl.length - data.length,
      dataMessages: data.length,
      recordsPerDatagram: +(data.reduce((s, t) => s + t.slots.length / 4, 0) / data.length).toFixed(2),
      pinned: { canopy: ours.pinned, peer: peer?.pinned },
      processes: { canopy: ours.processes, peer: peer?.processes },
      steps: ours.steps,
      peerSteps: peer?.steps,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'ipfix.ingest', run: (emit) => withRmemMax('ipfix.ingest', () => measure(emit)) }];
