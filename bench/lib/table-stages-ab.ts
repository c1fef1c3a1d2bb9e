// Scratch A/B of the table stages (aggregate, attribute) alone: `npx tsx bench/lib/table-stages-ab.ts [datagrams]`.
import { decodeSflow } from '../../src/collectors/sflow/decode.ts';
import { rig, stream } from '../ingest-stages.bench.ts';

const set = stream(Number(process.argv[2] ?? 100_000));
const records = set.map((b) => decodeSflow(b).flows);
const cpu = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / records.length;
};
const r = rig();
try {
  const t = r.pipeline.table;
  const now = Date.now();
  for (let i = 0; i < 20_000; i++) for (const f of records[i % records.length]!) t.add('sflow', f, f.samplingRate ?? 1, false, now);
  t.drain();
  const a = r.pipeline.attribution('sflow');
  for (let round = 0; round < 3; round++) {
    const c0 = process.cpuUsage();
    for (const fs of records) for (const f of fs) t.add('sflow', f, f.samplingRate ?? 1, false, now);
    const aggregate = cpu(c0);
    t.drain();
    const c1 = process.cpuUsage();
    for (const fs of records) for (const f of fs) a.attribute(f.exporter, f.subAgentId ?? 0, f.inIf, f.outIf, now);
    const attribute = cpu(c1);
    console.log(JSON.stringify({ round, aggregate: Math.round(aggregate), attribute: Math.round(attribute) }));
  }
} finally {
  r.close();
}
