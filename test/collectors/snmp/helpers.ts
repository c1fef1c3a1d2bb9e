// Test harness for the SNMP component: a real SQLite store in a temp dir, the real component
// (timers off unless asked), and a walk-file reader independent of the poller.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.ts';
import type { SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { createSnmpComponent, type SnmpComponent } from '../../../src/collectors/snmp/component.ts';
import { silentLogger, type Logger } from '../../../src/util/log.ts';
import type { Registry } from 'prom-client';
import { createRegistry } from '../../../src/util/metrics.ts';
import type { GraphNode } from '../../../src/topology/types.ts';

export interface Harness {
  store: SqliteGraphStore;
  snmp: SnmpComponent;
  dir: string;
  stop(): Promise<void>;
}

export async function startHarness(
  snmp: Record<string, unknown>,
  opts: { schedule?: boolean; log?: Logger; registry?: Registry } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-snmp-'));
  const config = loadConfig({
    env: {},
    overrides: {
      'storage.dataDir': dir,
      'snmp.traps.listen': '127.0.0.1:0',
      ...Object.fromEntries(Object.entries(snmp).map(([k, v]) => [`snmp.${k}`, v])),
    },
  });
  const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
  const store = storage.graph;
  const comp = createSnmpComponent(
    { config, store, storage, registry: opts.registry ?? createRegistry(false), log: opts.log ?? silentLogger() },
    { schedule: opts.schedule ?? false },
  );
  await comp.start();
  return {
    store,
    snmp: comp,
    dir,
    async stop() {
      await comp.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function portsOf(store: SqliteGraphStore, switchId: string): GraphNode[] {
  return store
    .edgesOf(switchId, 'out')
    .filter((e) => e.Metadata.RelationType === 'ownership')
    .map((e) => store.getNode(e.Child)!)
    .filter((n) => n.Metadata.Type === 'port');
}

/** A minimal snmprec reader for expected values: OID → {type, value}, hex (4x) decoded to latin1. */
export function readSnmprec(path: string): Map<string, { type: string; value: string; raw: Buffer }> {
  const out = new Map<string, { type: string; value: string; raw: Buffer }>();
  for (const line of readFileSync(path, 'latin1').split(/\r?\n/)) {
    const m = /^([\d.]+)\|(\w+)\|(.*)$/.exec(line);
    if (!m) continue;
    const [, oid, type, value] = m as unknown as [string, string, string, string];
    if (out.has(oid)) continue;
    const raw = type.endsWith('x') ? Buffer.from(value, 'hex') : Buffer.from(value, 'latin1');
    out.set(oid, { type: type.replace(/x$/, ''), value: type.endsWith('x') ? raw.toString('latin1') : value, raw });
  }
  return out;
}

/** Rows under a column: index suffix → value. */
export function column(
  w: Map<string, { type: string; value: string; raw: Buffer }>,
  root: string,
): Map<string, { type: string; value: string; raw: Buffer }> {
  const out = new Map<string, { type: string; value: string; raw: Buffer }>();
  for (const [oid, v] of w) if (oid.startsWith(root + '.')) out.set(oid.slice(root.length + 1), v);
  return out;
}

import { Collector } from '../../../src/collector.ts';
import { snmpComponent } from '../../../src/collectors/snmp/component.ts';

export interface ApiCollector {
  collector: Collector;
  base: string;
  dir: string;
  get(path: string, auth?: string): Promise<{ status: number; body: any }>;
  send(method: string, path: string, body: unknown, auth?: string): Promise<{ status: number; body: any }>;
  snmpStatus(): Promise<any>;
  stop(): Promise<void>;
}

/** A real collector process-in-a-test: API on an ephemeral loopback port, SNMP component with timers. */
export async function startApiCollector(overrides: Record<string, unknown>, keepDir?: string): Promise<ApiCollector> {
  const dir = keepDir ?? mkdtempSync(join(tmpdir(), 'canopy-snmp-api-'));
  const config = loadConfig({
    env: {},
    overrides: { 'api.listen': '127.0.0.1:0', 'storage.dataDir': dir, 'snmp.traps.listen': '127.0.0.1:0', ...overrides },
  });
  const collector = new Collector({ config, log: silentLogger(), registry: createRegistry(false), components: [snmpComponent] });
  await collector.start();
  const base = `http://${collector.apiAddresses[0]!}`;
  const call = async (method: string, path: string, body?: unknown, auth?: string) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth) headers.authorization = auth;
    const r = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed as any };
  };
  return {
    collector,
    base,
    dir,
    get: (p, auth) => call('GET', p, undefined, auth),
    send: (m, p, b, auth) => call(m, p, b, auth),
    snmpStatus: async () => (await call('GET', '/api/status')).body.components.snmp,
    async stop() {
      await collector.stop();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

import { feedStitcher } from '../../../src/collectors/snmp/stitch-feed.ts';
import { startSimulator, type RunningSimulator } from '../../../src/collectors/snmp/sim/server.ts';
import type { Storage } from '../../../src/topology/store/storage.ts';
import { Stitcher } from '../../../src/topology/stitch/stitcher.ts';
import type { WalkRecord } from '../../../src/collectors/snmp/sim/records.ts';

export interface StitchedEnv {
  sim: RunningSimulator;
  storage: Storage;
  snmp: SnmpComponent;
  stitcher: Stitcher;
  dir: string;
  device(name: string): ReturnType<SnmpComponent['poller']['devices']>[number];
  stop(): Promise<void>;
}

/** The real poller and the real stitcher on a fresh SQLite store, one simulated device per port. */
export async function startStitched(
  files: ({ name: string; file: string } | { name: string; records: readonly WalkRecord[] })[],
  snmp: Record<string, unknown> = {},
): Promise<StitchedEnv> {
  // Walk files first, then in-memory devices: the simulator serves them in that order.
  const ordered = [...files.filter((f) => 'file' in f), ...files.filter((f) => 'records' in f)];
  const sim = await startSimulator({
    files: ordered.flatMap((f) => ('file' in f ? [f.file] : [])),
    devices: ordered.flatMap((f) => ('records' in f ? [{ community: f.name, records: f.records }] : [])),
    portPerDevice: 0,
  });
  const dir = mkdtempSync(join(tmpdir(), 'canopy-stitched-'));
  const devices = sim.devices.map((d, i) => ({ address: '127.0.0.1', port: d.port, community: d.community, name: ordered[i]!.name }));
  const config = loadConfig({
    env: {},
    overrides: {
      'storage.dataDir': dir,
      'snmp.devices': devices,
      'snmp.traps.enabled': false,
      ...Object.fromEntries(Object.entries(snmp).map(([k, v]) => [`snmp.${k}`, v])),
    },
  });
  const storage = openSqliteStorage({ path: join(dir, 'canopy.db') });
  const stitcher = new Stitcher(storage.graph, storage.stitchInputs, { sweepIntervalMs: 0 });
  stitcher.start();
  const comp = createSnmpComponent(
    { config, store: storage.graph, storage, registry: createRegistry(false), log: silentLogger() },
    { schedule: false },
  );
  const unfeed = feedStitcher(comp.observations, stitcher);
  await comp.start();
  await comp.poller.pollNow();
  // The stitcher follows the change feed in a microtask.
  await new Promise((r) => setTimeout(r, 10));
  const env: StitchedEnv = {
    sim,
    storage,
    snmp: comp,
    stitcher,
    dir,
    device: (name) => comp.poller.devices().find((d) => d.target.config.name === name)!,
    async stop() {
      unfeed();
      await comp.stop();
      stitcher.stop();
      storage.close();
      await env.sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}
