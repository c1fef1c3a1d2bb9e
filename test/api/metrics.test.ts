// /metrics of a real collector (all default components) for a Prometheus user: build info, every
// counter's known series at 0 from the start, per-device reachability and poll duration against
// Canopy's SNMP simulator and a device that does not answer, and trap counters fed by Net-SNMP's
// snmptrap (good, bad community, unknown source) and a garbage datagram.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { startSimulator, type RunningSimulator } from '../../src/collectors/snmp/sim/server.ts';
import { startTestCollector, type TestCollector } from './helpers.ts';

const run = promisify(execFile);
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** Prometheus text → family type and samples ("name{labels}" → value). */
function parse(text: string) {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    const s = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (s) samples.set(s[1]!, Number(s[2]));
  }
  return { types, samples, has: (family: string) => [...samples.keys()].some((k) => k === family || k.startsWith(`${family}{`)) };
}

let sim: RunningSimulator;
let t: TestCollector;
let simKey: string;
let deadKey: string;
let trapPort: number;

async function scrape() {
  const r = await fetch(t.base + '/metrics');
  expect(r.status).toBe(200);
  return parse(await r.text());
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.2', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

beforeAll(async () => {
  sim = await startSimulator({ switches: { count: 1, ports: 4, fdbEntries: 2 } });
  const deadPort = await freeUdpPort();
  simKey = `127.0.0.1:${sim.port}`;
  deadKey = `127.0.0.2:${deadPort}`;
  t = await startTestCollector({
    'snmp.devices': [
      { address: '127.0.0.1', port: sim.port, version: '2c', community: sim.devices[0]!.community },
      // Nothing listens there: polls time out.
      { address: '127.0.0.2', port: deadPort, version: '2c', community: 'public', timeout: 1, retries: 0 },
    ],
    'snmp.counterInterval': 3600,
    'snmp.lldpInterval': 3600,
    'snmp.fdbInterval': 3600,
    'snmp.rediscoverInterval': 3600,
  });
  const st = t.collector.status() as { components: { snmp: { traps: { listen: string[] } } } };
  trapPort = Number(st.components.snmp.traps.listen[0]!.split(':').pop());
}, 30_000);
afterAll(async () => {
  await t?.stop();
  await sim?.close();
});

describe('/metrics', () => {
  it('has build info and, from the start, a series for every known label of every counter', async () => {
    const m = await scrape();
    const info = [...m.samples].find(([k]) => k.startsWith('canopy_build_info{'));
    expect(info).toBeDefined();
    expect(info![1]).toBe(1);
    expect(info![0]).toContain(`version="${version}"`);
    expect(info![0]).toContain(`node_version="${process.version}"`);
    expect(info![0]).toMatch(/commit="[0-9a-f]*"/);
    // Alert rules have series to match before anything went wrong.
    for (const s of [
      'canopy_datagrams_dropped_total{protocol="sflow",reason="socket_overflow"}',
      'canopy_datagrams_dropped_total{protocol="sflow",reason="queue_full"}',
      'canopy_datagrams_dropped_total{protocol="sflow",reason="malformed"}',
      'canopy_datagrams_dropped_total{protocol="netflow",reason="socket_overflow"}',
      'canopy_datagrams_dropped_total{protocol="ipfix",reason="truncated"}',
      'canopy_datagrams_received_total{protocol="ipfix"}',
      'canopy_decode_errors_total{protocol="sflow",code="short-datagram"}',
      'canopy_decode_errors_total{protocol="netflow9",code="bad-template"}',
      'canopy_flow_records_total{protocol="netflow5"}',
      'canopy_snmp_polls_total{result="timeout"}',
      'canopy_snmp_traps_dropped_total{reason="unknown_source"}',
      'canopy_snmp_traps_dropped_total{reason="auth"}',
      `canopy_snmp_traps_received_total{device="${simKey}",type="linkDown"}`,
      `canopy_snmp_traps_received_total{device="${deadKey}",type="coldStart"}`,
      'canopy_ws_invalid_elements_total{reason="invalid_node"}',
    ])
      expect(m.samples.get(s), s).toBe(0);
    expect(m.has('canopy_snmp_device_up')).toBe(true);
    expect(m.samples.has(`canopy_snmp_poll_duration_seconds_count{device="${deadKey}"}`)).toBe(true);
    // No counter family is left without series, except those keyed by exporters not seen yet.
    const perExporter = new Set(['canopy_exporter_datagrams_total', 'canopy_sequence_gaps_total']);
    const empty = [...m.types].filter(([name, type]) => type === 'counter' && !perExporter.has(name) && !m.has(name)).map(([n]) => n);
    expect(empty).toEqual([]);
  });

  it('says per device whether it answers, and how long its polls take', async () => {
    await expect
      .poll(async () => (await scrape()).samples.get(`canopy_snmp_device_up{device="${simKey}"}`), { timeout: 15_000, interval: 200 })
      .toBe(1);
    await expect
      .poll(async () => (await scrape()).samples.get(`canopy_snmp_poll_duration_seconds_count{device="${deadKey}"}`), {
        timeout: 15_000,
        interval: 200,
      })
      .toBeGreaterThanOrEqual(1);
    const m = await scrape();
    expect(m.samples.get(`canopy_snmp_device_up{device="${deadKey}"}`)).toBe(0);
    expect(m.samples.get(`canopy_snmp_poll_duration_seconds_count{device="${simKey}"}`)).toBeGreaterThanOrEqual(1);
    // The dead device waited out its 1 s timeout.
    expect(m.samples.get(`canopy_snmp_poll_duration_seconds_sum{device="${deadKey}"}`)).toBeGreaterThanOrEqual(0.9);
    expect(m.samples.get(`canopy_snmp_poll_duration_seconds_bucket{le="0.5",device="${deadKey}"}`)).toBe(0);
    expect(m.samples.get('canopy_snmp_polls_total{result="timeout"}')).toBeGreaterThanOrEqual(1);
  });

  it('counts traps by device and type, and dropped ones by reason', async () => {
    const linkDown = ['1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.2', 'i', '2'];
    const trap = (extra: string[], community = 'public') =>
      run('snmptrap', ['-On', '-m', '', '-v', '2c', '-c', community, ...extra, `127.0.0.1:${trapPort}`, '', ...linkDown], {
        timeout: 5000,
      });
    await trap([]);
    await trap([]);
    await trap([], 'not-a-known-community');
    // From an address no device is polled at.
    await trap(['--clientaddr=127.0.0.3']);
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r, j) => s.send(Buffer.from('definitely not BER'), trapPort, '127.0.0.1', (e) => (e ? j(e) : r())));
    s.close();
    await expect
      .poll(async () => (await scrape()).samples.get(`canopy_snmp_traps_received_total{device="${simKey}",type="linkDown"}`), {
        timeout: 5000,
      })
      .toBe(2);
    await expect
      .poll(async () => (await scrape()).samples.get('canopy_snmp_traps_dropped_total{reason="malformed"}'), { timeout: 5000 })
      .toBe(1);
    const m = await scrape();
    expect(m.samples.get('canopy_snmp_traps_dropped_total{reason="auth"}')).toBe(1);
    expect(m.samples.get('canopy_snmp_traps_dropped_total{reason="unknown_source"}')).toBe(1);
    expect(m.samples.get(`canopy_snmp_traps_received_total{device="${deadKey}",type="linkDown"}`)).toBe(0);
  });

  it('a device added through the API gets its series at once; deleted, they go', async () => {
    const r = await fetch(t.base + '/api/devices', {
      method: 'POST',
      body: JSON.stringify({ address: '127.0.0.4', port: 16161, version: '2c', timeout: 1, retries: 0 }),
    });
    expect(r.status).toBe(201);
    const key = '127.0.0.4:16161';
    let m = await scrape();
    expect(m.samples.get(`canopy_snmp_traps_received_total{device="${key}",type="linkUp"}`)).toBe(0);
    expect(m.samples.has(`canopy_snmp_device_up{device="${key}"}`)).toBe(true);
    const all = (await (await fetch(t.base + '/api/devices')).json()) as Record<string, { address: string }>;
    const devId = Object.entries(all).find(([, v]) => v.address === '127.0.0.4')![0];
    expect((await fetch(`${t.base}/api/devices/${devId}`, { method: 'DELETE' })).status).toBe(200);
    m = await scrape();
    expect(m.has('canopy_snmp_device_up') && [...m.samples.keys()].some((k) => k.includes(`device="${key}"`))).toBe(false);
  });
});
