// Scratch A/B of the table stages (aggregate, attribute) alone: `npx tsx bench/lib/table-stages-ab.ts [datagrams]`.
import { decodeSflow } from '../../src/collectors/sflow/decode.ts';
import type { FlowTable } from '../../src/collectors/flows/flow-table.ts';
import type { FlowSink } from '../../src/collectors/sflow/fast-flow.ts';
import { rig, stream } from '../ingest-stages.bench.ts';

const set = stream(Number(process.argv[2] ?? 100_000));
const records = set.map((b) => decodeSflow(b).flows);
const cpu = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / records.length;
};
// The fast path's calls (numbers off the wire), replayed into addSflow: the table's put alone.
const calls: Parameters<FlowSink['add']>[] = [];
const sink: FlowSink = { addrKey: () => 0, add: (...a) => void calls.push(a) };
for (const b of set) decodeSflow(b, { flowSink: sink });
const nums = new Float64Array(calls.length * 14);
const exps = calls.map((c) => c[0]);
calls.forEach((c, i) => nums.set(c.slice(1) as number[], i * 14));
function replay(t: FlowTable, now: number): void {
  for (let i = 0, o = 0; i < exps.length; i++, o += 14) {
    // prettier-ignore
    t.addSflow(exps[i]!, nums[o]!, nums[o + 1]!, nums[o + 2]!, nums[o + 3]!, nums[o + 4]!, nums[o + 5]!, nums[o + 6]!, nums[o + 7]!, nums[o + 8]!, nums[o + 9]!, nums[o + 10]!, nums[o + 11]!, nums[o + 12]!, nums[o + 13]!, now);
  }
}
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
    replay(t, now);
    t.drain();
    const c2 = process.cpuUsage();
    replay(t, now);
    const put = cpu(c2);
    const c3 = process.cpuUsage();
    replay(t, now);
    const hit = cpu(c3);
    t.drain();
    console.log(
      JSON.stringify({
        round,
        aggregate: Math.round(aggregate),
        attribute: Math.round(attribute),
        fastPut: Math.round(put),
        hitPut: Math.round(hit),
      }),
    );
  }
} finally {
  r.close();
}
