// kill -9 during ingest (docs/reliability.md#crash-safety): a real collector process takes sFlow at a
// steady rate and a NetFlow v9 template, has a node written through the API, and is SIGKILLed
// while datagrams keep arriving. Restarted on the same data dir: PRAGMA integrity_check is ok, every
// node and edge from before the kill is there, v9 data decodes with the template learned before
// the kill (no resend), and the sFlow records lost are at most one flush interval's worth.
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freeTcpPort, freeUdpPort, spawnCollector, type CollectorProcess } from '../../bench/lib/collector-child.ts';
import { udpPayloads } from '../../src/collectors/common/pcap.ts';
import { templates } from '../../bench/sflow-ingest.bench.ts';
import { decodeSflow } from '../../src/collectors/sflow/decode.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FLUSH = 2;
const RATE = 1000; // datagrams/s: well under the loss-free rate, so every loss is the kill's
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fixture = (f: string) => readFileSync(join(ROOT, 'fixtures/pcaps', f));

type G = { Nodes: { ID: string }[]; Edges: { ID: string }[] };

describe('kill -9 during ingest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-crash-'));
  let c: CollectorProcess | undefined;
  afterAll(async () => {
    await c?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restart: integrity ok, graph and v9 templates intact, sFlow loss ≤ one flush interval', async () => {
    const sflowPort = await freeUdpPort();
    const netflowPort = await freeUdpPort();
    const apiPort = await freeTcpPort();
    const start = () =>
      spawnCollector({
        configFile: join(dir, 'canopy.json'),
        apiPort,
        config: {
          api: { listen: `127.0.0.1:${apiPort}` },
          storage: { dataDir: join(dir, 'data'), flowFlushInterval: FLUSH },
          sflow: { listen: `127.0.0.1:${sflowPort}` },
          netflow: { listen: `127.0.0.1:${netflowPort}` },
          ipfix: { enabled: false },
          snmp: { traps: { listen: '127.0.0.1:0' } },
        },
      });
    c = await start();
    const sock = dgram.createSocket('udp4');
    const send = (buf: Buffer, port: number) => new Promise<void>((r) => sock.send(buf, port, '127.0.0.1', () => r()));

    // The v9 template, and a node written through the API.
    await send(fixture('goflow2__netflow_test-nfv9-template260.bin'), netflowPort);
    const posted = await fetch(`${c.base}/api/node`, {
      method: 'POST',
      body: JSON.stringify({ ID: 'crash-test-node', Metadata: { Type: 'host', Name: 'crash-test' } }),
    });
    expect(posted.status).toBe(201);

    // sFlow at RATE for a while, then SIGKILL with the stream still running.
    const dgs = ['akvorado__data-1140.pcap', 'ovs-sflow.pcap', 'akvorado__data-sflow-raw-ipv4.pcap']
      .flatMap((f) => [...udpPayloads(fixture(f))].map((u) => u.payload))
      .map((b) => ({ b, records: decodeSflow(b).flows.length }))
      .filter((d) => d.records > 0);
    let sent = 0;
    let sentRecords = 0;
    const t0 = performance.now();
    const sendFor = async (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
        while (sent < due) {
          const d = dgs[sent % dgs.length]!;
          sock.send(d.b, sflowPort, '127.0.0.1');
          sent++;
          sentRecords += d.records;
        }
        await sleep(5);
      }
    };
    // Not a whole number of flush intervals: the kill lands between two flushes.
    await sendFor((3 * FLUSH + 0.7) * 1000);
    const templates = (await (await fetch(`${c.base}/api/status`)).json()) as { components: { netflow: { templates: number } } };
    expect(templates.components.netflow.templates).toBeGreaterThan(0);
    const before = (await (await fetch(`${c.base}/api/topology`)).json()) as G;
    await sendFor(300);
    const acceptedRecords = await c.metric(/^canopy_sflow_records_total\{kind="flow"\}/);
    await c.kill9();
    const recordsAtKill = sentRecords;
    const recordsPerSecond = sentRecords / ((performance.now() - t0) / 1000);
    sock.close();

    // The database as the kill left it (its WAL beside it), before anything opens it for writing.
    const db = new Database(join(dir, 'data', 'canopy.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = Number((db.prepare("SELECT coalesce(sum(flows), 0) AS n FROM flows WHERE protocol = 'sflow'").get() as { n: number }).n);
    // Each write step inserts rows and folds them into the rollup in one transaction: a kill
    // between the two would leave them apart.
    const rolled = Number(
      (db.prepare("SELECT coalesce(sum(flows), 0) AS n FROM flows_1m WHERE protocol = 'sflow'").get() as { n: number }).n,
    );
    expect(rolled).toBe(stored);
    db.close();

    c = await start();
    const after = (await (await fetch(`${c.base}/api/topology`)).json()) as G;
    const ids = (g: G) => new Set([...g.Nodes.map((n) => n.ID), ...g.Edges.map((e) => e.ID)]);
    const missing = [...ids(before)].filter((id) => !ids(after).has(id));
    expect(missing).toEqual([]);
    expect(ids(after).has('crash-test-node')).toBe(true);

    // Data for the template learned before the kill decodes without the template being resent.
    const st = (await (await fetch(`${c.base}/api/status`)).json()) as { components: { netflow: { templatesLoaded: number } } };
    expect(st.components.netflow.templatesLoaded).toBeGreaterThan(0);
    const s2 = dgram.createSocket('udp4');
    await new Promise<void>((r) => s2.send(fixture('goflow2__netflow_test-nfv9-data260.bin'), netflowPort, '127.0.0.1', () => r()));
    s2.close();
    await expect.poll(() => c!.metric(/^canopy_flow_records_total\{protocol="netflow9"\}/), { timeout: 5000 }).toBe(21);

    const lostRecords = recordsAtKill - stored;
    const lostSeconds = lostRecords / recordsPerSecond;
    process.stderr.write(
      `kill -9: sent ${recordsAtKill} sFlow records (${sent} datagrams), accepted ${acceptedRecords}, stored ${stored}; lost ${lostRecords} = ${lostSeconds.toFixed(2)} s of flows (flush interval ${FLUSH} s)\n`,
    );
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(acceptedRecords);
    // One interval of the flow table, plus the few milliseconds a paced write step takes.
    expect(lostSeconds).toBeLessThanOrEqual(FLUSH * 1.1);
    await c.stop();
  }, 60_000);
  it('kill -9 in the middle of big paced flushes (new keys at 20,000 datagrams/s): integrity ok, rows and rollup agree', async () => {
    const heavy = join(dir, 'heavy');
    mkdirSync(heavy);
    const sflowPort = await freeUdpPort();
    const apiPort = await freeTcpPort();
    await c?.kill9();
    const startHeavy = () =>
      spawnCollector({
        configFile: join(heavy, 'canopy.json'),
        apiPort,
        config: {
          api: { listen: `127.0.0.1:${apiPort}` },
          storage: { dataDir: join(heavy, 'data'), flowFlushInterval: 1 },
          sflow: { listen: `127.0.0.1:${sflowPort}` },
          netflow: { enabled: false },
          ipfix: { enabled: false },
          snmp: { traps: { listen: '127.0.0.1:0' } },
        },
      });
    c = await startHeavy();
    const tplFile = join(heavy, 'templates.json');
    writeFileSync(tplFile, JSON.stringify(templates()));
    // 600,000 keys a minute: every flush writes thousands of new rows, in 2 ms steps.
    const sender = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench/lib/udp-sender.ts'), tplFile, '127.0.0.1', String(sflowPort), '20000', '6', '600000'],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const senderDone = new Promise((r) => sender.once('exit', r));
    // Kill while rows are still waiting to be written.
    await expect
      .poll(
        async () => {
          const st = (await (await fetch(`${c!.base}/api/status`)).json()) as {
            components: { flows: { flowTable: { pendingWrites: number; flushed: number } } };
          };
          const t = st.components.flows.flowTable;
          return t.flushed > 0 && t.pendingWrites > 0;
        },
        { timeout: 5000, interval: 20 },
      )
      .toBe(true);
    await c.kill9();
    await senderDone;
    const db = new Database(join(heavy, 'data', 'canopy.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const sum = (t: string) => Number((db.prepare(`SELECT coalesce(sum(flows), 0) AS n FROM ${t}`).get() as { n: number }).n);
    const stored = sum('flows');
    expect(stored).toBeGreaterThan(0);
    expect(sum('flows_1m')).toBe(stored);
    db.close();
    c = await startHeavy();
    // It opens the database as the kill left it and answers from it.
    const r = await fetch(`${c.base}/api/topology`, { method: 'POST', body: JSON.stringify({ GremlinQuery: 'G.Flows().Count()' }) });
    expect(r.status).toBe(200);
    expect((await r.json()) as number).toBeGreaterThan(0);
    process.stderr.write(`kill -9 mid-flush: ${stored} flow records stored, rollup equal\n`);
  }, 60_000);
});
