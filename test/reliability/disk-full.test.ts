// A full disk under the data dir (docs/reliability.md#crash-safety): a real collector process on a
// small tmpfs takes sFlow (flow and counter samples, new flow keys all the time) and NetFlow v9
// while a filler file takes the last free byte. Writes fail cleanly: counted in
// canopy_storage_write_failures_total, logged rate-limited, the process stays up and keeps counting
// datagrams. When the filler goes, writes resume: flows sent after the space came back are stored.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { templates } from '../../bench/sflow-ingest.bench.ts';
import { freeTcpPort, freeUdpPort, spawnCollector, type CollectorProcess } from '../../bench/lib/collector-child.ts';
import { udpPayloads } from '../../src/collectors/common/pcap.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const skip = process.getuid?.() !== 0 ? 'needs root (mounts a tmpfs)' : null;

/** Writes zeros until the file system says it is full. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return n;
}

describe.skipIf(skip !== null)(`disk full${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-diskfull-'));
  const mnt = join(dir, 'mnt');
  let mounted = false;
  let c: CollectorProcess | undefined;
  let stopped = false;

  beforeAll(() => {
    mkdirSync(mnt);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt]);
    if (r.status !== 0) throw new Error(`mount tmpfs: ${String(r.stderr)}`);
    mounted = true;
  });
  let agent: ChildProcess | undefined;
  afterAll(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await gone;
    }
    if (c?.exited() && !stopped) process.stderr.write(`collector exited; stderr:\n${c.output().slice(-4000)}\n`);
    await c?.kill9();
    if (mounted) spawnSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes fail cleanly while full (counted, logged rate-limited, ingest counting) and resume when space returns', async () => {
    const sflowPort = await freeUdpPort();
    const netflowPort = await freeUdpPort();
    const apiPort = await freeTcpPort();
    c = await spawnCollector({
      configFile: join(dir, 'canopy.json'),
      apiPort,
      env: { CANOPY_LOG_LEVEL: 'info' },
      config: {
        api: { listen: `127.0.0.1:${apiPort}` },
        storage: { dataDir: join(mnt, 'data'), flowFlushInterval: 1, counterUpdateInterval: 1 },
        sflow: { listen: `127.0.0.1:${sflowPort}` },
        netflow: { listen: `127.0.0.1:${netflowPort}` },
        ipfix: { enabled: false },
        snmp: { traps: { listen: '127.0.0.1:0' } },
      },
    });
    // Real datagrams, addresses rewritten so every one brings new flow keys (new rows to write).
    const tpl = templates().map((t) => ({ buf: Buffer.from(t.hex, 'hex'), rewrite: t.rewrite }));
    const counters = [...udpPayloads(readFileSync(join(ROOT, 'fixtures/pcaps/ovs-sflow.pcap')))];
    const sock = dgram.createSocket('udp4');
    let key = 0;
    let sent = 0;
    const burst = async (ms: number, net: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        for (let i = 0; i < 20; i++) {
          const t = tpl[sent % tpl.length]!;
          for (let j = 0; j < t.rewrite.length; j += 2) {
            key++;
            t.buf.writeUInt32BE(((net << 24) | (key & 0xffffff)) >>> 0, t.rewrite[j]);
          }
          sock.send(t.buf, sflowPort, '127.0.0.1');
          sent++;
        }
        sock.send(counters[sent % counters.length]!.payload, sflowPort, '127.0.0.1');
        await sleep(10);
      }
    };
    const received = () => c!.metric(/^canopy_datagrams_received_total\{protocol="sflow"\}/);
    const failures = () => c!.metric(/^canopy_storage_write_failures_total\{/);
    const storedFrom = async (net: number) => {
      const r = await fetch(`${c!.base}/api/topology`, {
        method: 'POST',
        body: JSON.stringify({ GremlinQuery: `G.Flows().Has('srcAddr', Regex('${net}\\\\..*')).Count()` }),
      });
      return r.ok ? ((await r.json()) as number) : -1;
    };

    await burst(1500, 21);
    await expect.poll(() => storedFrom(21), { timeout: 10_000 }).toBeGreaterThan(0);

    // The disk fills up.
    const filled = fill(join(mnt, 'filler'));
    expect(filled).toBeGreaterThan(0);
    const r0 = await received();
    await burst(4000, 22);
    // A NetFlow template arriving while full is still learned (data after it decodes).
    const s2 = dgram.createSocket('udp4');
    s2.send(readFileSync(join(ROOT, 'fixtures/pcaps/goflow2__netflow_test-nfv9-template260.bin')), netflowPort, '127.0.0.1');
    await sleep(200);
    s2.send(readFileSync(join(ROOT, 'fixtures/pcaps/goflow2__netflow_test-nfv9-data260.bin')), netflowPort, '127.0.0.1');
    await expect.poll(failures, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(c.exited()).toBe(false);
    expect(await received()).toBeGreaterThan(r0);
    await expect.poll(() => c!.metric(/^canopy_flow_records_total\{protocol="netflow9"\}/), { timeout: 5000 }).toBe(21);
    const health = await fetch(`${c.base}/api/status`);
    expect(health.status).toBe(200);
    // Rate-limited: a few lines per 10 s per kind of failure, not one per write.
    const failedLines = c
      .output()
      .split('\n')
      .filter((l) => /write failed/.test(l));
    expect(failedLines.length).toBeGreaterThan(0);
    expect(failedLines.length).toBeLessThanOrEqual(20);

    // Space comes back: what arrives now is stored.
    rmSync(join(mnt, 'filler'));
    await burst(1500, 23);
    await expect.poll(() => storedFrom(23), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(c.exited()).toBe(false);
    sock.close();
    s2.close();
    const text = await (await fetch(`${c.base}/metrics`)).text();
    process.stderr.write(
      `disk full: ${text
        .split('\n')
        .filter((l) => /^canopy_storage_(write_failures|rows_dropped)_total/.test(l))
        .join('; ')}; ${failedLines.length} log lines\n`,
    );
    stopped = true;
    expect(await c.stop()).toBe(0);
  }, 60_000);
  it('graph writes from timers and socket events fail cleanly too: an agent gone and a publisher leaving while full', async () => {
    // A first case that failed half-way must not leave its collector running.
    if (!stopped) await c?.kill9();
    const apiPort = await freeTcpPort();
    c = await spawnCollector({
      configFile: join(dir, 'canopy2.json'),
      apiPort,
      env: { CANOPY_LOG_LEVEL: 'info' },
      config: {
        api: { listen: `127.0.0.1:${apiPort}` },
        storage: { dataDir: join(mnt, 'data2') },
        sflow: { listen: '127.0.0.1:0' },
        netflow: { enabled: false },
        ipfix: { enabled: false },
        snmp: { enabled: false, traps: { listen: '127.0.0.1:0' } },
        agents: { downAfter: 1, pingInterval: 1 },
      },
    });
    stopped = false;
    const base = c.base;
    const graph = async () =>
      (await (await fetch(`${base}/api/topology`)).json()) as {
        Nodes: { ID: string; Origin: string; Metadata: Record<string, unknown> }[];
      };
    // A real agent (in this namespace: it reports its interfaces, nothing else).
    const emptyNetns = join(dir, 'netns');
    mkdirSync(emptyNetns, { recursive: true });
    writeFileSync(
      join(dir, 'agent.json'),
      JSON.stringify({
        agent: {
          collector: `ws://127.0.0.1:${apiPort}`,
          hostname: 'diskfull-host',
          machineId: 'canopy-diskfull-host',
          netns: { dir: emptyNetns, processes: false },
          docker: { enabled: false },
          runc: { dirs: [] },
          sockets: { enabled: false },
          lldp: { enabled: false },
        },
      }),
    );
    agent = spawn(process.execPath, ['bin/canopy.js', 'agent', '--config', join(dir, 'agent.json')], {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
    });
    const host = () => graph().then((g) => g.Nodes.find((n) => n.Origin === 'agent.diskfull-host' && n.Metadata.Type === 'host'));
    await expect.poll(async () => (await host())?.Metadata.State, { timeout: 20_000 }).toBe('UP');
    // A Skydive-style publisher whose nodes go when it leaves.
    const pub = new WebSocket(
      `ws://127.0.0.1:${apiPort}/ws/publisher?x-client-type=test&x-host-id=diskfull-pub&x-persistence-policy=DeleteOnDisconnect`,
    );
    await new Promise((r, j) => pub.once('open', r).once('error', j));
    pub.send(
      JSON.stringify({ Namespace: 'Graph', Type: 'NodeAdded', Obj: { ID: 'diskfull-pub-node', Metadata: { Type: 'host', Name: 'p' } } }),
    );
    await expect.poll(async () => (await graph()).Nodes.some((n) => n.ID === 'diskfull-pub-node'), { timeout: 5000 }).toBe(true);

    fill(join(mnt, 'filler'));
    const gone = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGKILL');
    await gone;
    pub.close();
    // downAfter (1 s) passes twice over: the DOWN write fails, and is tried again.
    await sleep(3000);
    expect(c.exited(), c.output().slice(-3000)).toBe(false);
    await expect.poll(() => c!.metric(/^canopy_storage_write_failures_total\{store="graph"\}/), { timeout: 5000 }).toBeGreaterThan(0);
    expect((await fetch(`${base}/api/status`)).status).toBe(200);

    // Space again: the host is marked DOWN (the retried write goes in).
    rmSync(join(mnt, 'filler'));
    await expect.poll(async () => (await host())?.Metadata.State, { timeout: 10_000 }).toBe('DOWN');
    expect(c.exited()).toBe(false);
    stopped = true;
    expect(await c.stop()).toBe(0);
  }, 60_000);
});
