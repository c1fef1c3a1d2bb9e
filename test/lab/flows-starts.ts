// `npm run lab:flows [-- --starts N --bytes B]` (root; not part of the suite): the namespace lab of
// containerlab/fabric.clab.yml, then N times in a row a fresh collector (empty data dir) started
// with only the config `lab up` wrote, a 20 MB TCP transfer h1 → h2 (both on leaf1) right after
// it starts listening, and leaf1's stored bytes for the 5-tuple (both directions) compared with
// what tshark counts on h1's interface, and stored flow rows whose device/port node is not in the
// graph. One JSON line per start, a summary at the end; exit 1 if any start is off by more than
// 1 %, logged `datagram handler failed` or stored a flow row on a vanished node.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { labSkipReason, startLab } from './lab-fixture.ts';
import { firstLogError, flowsOnVanishedNodes, logLines, measuredTransfer, settledStored } from './transfer.ts';
import { collectorDataDir } from '../../src/lab/collector-config.ts';

const { values } = parseArgs({ options: { starts: { type: 'string', default: '5' }, bytes: { type: 'string', default: '20000000' } } });
const reason = labSkipReason();
if (reason) {
  process.stderr.write(`lab:flows cannot run: ${reason}\n`);
  process.exit(2);
}
const lab = await startLab('containerlab/fabric.clab.yml');
const api = 'http://127.0.0.1:8082';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
let failed = 0;

/** "yes" when leaf1's rows of the transfer name the polled leaf1 switch as their device, else what they name. */
async function attribution(src: string, srcPort: number): Promise<string> {
  const get = async (args: string[]) =>
    JSON.parse((await lab.exec(lab.mgmtNs, 'curl', ['-sf', '--max-time', '5', ...args])).stdout) as unknown;
  const end = Date.now() + 20_000;
  let sw: string | undefined;
  while (!sw && Date.now() < end) {
    sw = (
      (await get([
        '-XPOST',
        `${api}/api/topology`,
        '-d',
        JSON.stringify({ GremlinQuery: "G.V().Has('Type', 'switch', 'Name', 'leaf1').Has('Probe', 'snmp').Values('ID')" }),
      ])) as string[]
    )[0];
    if (!sw) await new Promise((r) => setTimeout(r, 500));
  }
  const rows = (await get([`${api}/api/flows?exporter=${lab.nodes.leaf1!.mgmtIp}&addr=${src}&port=${srcPort}&top=100`])) as {
    deviceId: string;
  }[];
  const other = [...new Set(rows.map((r) => r.deviceId).filter((d) => d !== sw))];
  return other.length === 0 ? 'yes' : `no: ${other.join(',')} (leaf1 is ${sw ?? 'not polled yet'})`;
}
const results: Record<string, unknown>[] = [];
try {
  for (let i = 1; i <= Number(values.starts); i++) {
    rmSync(collectorDataDir(lab.state), { recursive: true, force: true });
    const c = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', lab.state.collectorConfig!], { env });
    try {
      await c.waitForOutput(/collector listening/, 30_000);
      const t = await measuredTransfer(lab, 'h1', 'h2', Number(values.bytes), 5000 + i);
      const s = await settledStored(lab, api, lab.nodes.leaf1!.mgmtIp, t);
      const stored = s.fwd.bytes + s.rev.bytes;
      // Where the rows point once SNMP knows leaf1: the polled switch, or a node merged away since.
      const attributed = await attribution(t.src, t.srcPort);
      const vanished = flowsOnVanishedNodes(collectorDataDir(lab.state));
      const ip = t.ipBytes.fwd + t.ipBytes.rev;
      const frames = t.frames.fwd.bytes + t.frames.rev.bytes;
      const asFrames = stored + 14 * (s.fwd.packets + s.rev.packets);
      const r = {
        start: i,
        sent: t.sent,
        received: t.received,
        transferMs: t.transferMs,
        captureDropped: t.captureDropped,
        captureComplete: t.frames.fwd.packets + t.frames.rev.packets === t.captureReceived && t.captureWhole,
        tsharkFrameBytes: frames,
        tsharkIpBytes: ip,
        storedBytes: stored,
        storedPackets: s.fwd.packets + s.rev.packets,
        tsharkPackets: t.frames.fwd.packets + t.frames.rev.packets,
        storedVsIpPct: +((100 * (stored - ip)) / ip).toFixed(3),
        storedFramesVsFramesPct: +((100 * (asFrames - frames)) / frames).toFixed(3),
        storedVsFramesPct: +((100 * (stored - frames)) / frames).toFixed(3),
        rowsOnPolledSwitch: attributed,
        rowsOnVanishedNodes: vanished.rows,
        vanishedNodes: vanished.ids,
        handlerFailedLines: logLines(c, 'datagram handler failed'),
        firstHandlerError: firstLogError(c, 'datagram handler failed'),
        settledAfterMs: s.waitedMs,
      };
      const ok =
        Math.abs(r.storedFramesVsFramesPct) <= 1 &&
        Math.abs(r.storedVsIpPct) <= 1 &&
        r.handlerFailedLines === 0 &&
        r.rowsOnVanishedNodes === 0 &&
        r.captureDropped === 0 &&
        r.captureComplete;
      if (!ok) failed++;
      results.push(r);
      process.stdout.write(`${JSON.stringify({ ...r, ok })}\n`);
    } finally {
      await c.stop();
    }
  }
} finally {
  await lab.stop();
}
process.stdout.write(
  `${JSON.stringify({ summary: true, starts: results.length, failed, storedVsIpPct: results.map((r) => r.storedVsIpPct), handlerFailedLines: results.map((r) => r.handlerFailedLines), rowsOnVanishedNodes: results.map((r) => r.rowsOnVanishedNodes) })}\n`,
);
process.exit(failed ? 1 : 0);
