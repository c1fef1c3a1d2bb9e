// Cabling intent vs observed against a running collector that polls a real multi-device SNMP set
// (dc-mixed: Arista, Junos, Dell OS10/OS9, Aruba CX and IOS walks; fixtures/snmp-sets/dc-mixed.json).
// The plan is the set's own adjacency list, then the same plan with one end moved, a cable taken
// out and a cable added, through POST /api/verify-cabling and through the real CLI with --json.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSet, runCollector, serveSet, type SetRun, type SetServer } from './run-set.ts';
type SetLink = [string, string, string, string];
import type { GraphNode } from '../../../../src/topology/types.ts';

const bin = resolve('bin/canopy.js');
const TOKEN = 'tok-cabling-viewer-1';
const set = loadSet('dc-mixed');
let server: SetServer;
let run: SetRun;
let base: string;
const dir = mkdtempSync(join(tmpdir(), 'canopy-cabling-'));

beforeAll(async () => {
  server = await serveSet(set, '127.42.40', 'canopy');
  // Auth on, a viewer token only: verifying reads, so a viewer may POST it.
  run = await runCollector(server.built, 'forward', { 'auth.tokens': [{ token: TOKEN, role: 'viewer' }] });
  base = `http://${run.collector.apiAddresses[0]!}`;
  // Every device polled LLDP a few times and the links stopped changing.
  const until = Date.now() + 60_000;
  let last = '';
  let stable = 0;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    const now = JSON.stringify(run.links());
    stable = now === last ? stable + 1 : 0;
    last = now;
    const polls = run.lldpPolls();
    if (polls.length === set.devices.length && polls.every((p) => p >= 4) && stable >= 3) break;
  }
  expect(run.links()).toHaveLength(set.links.length);
}, 90_000);

afterAll(async () => {
  await run?.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const csv = (links: readonly SetLink[]) =>
  ['a_device,a_port,b_device,b_port', ...links.map((l) => l.map((f) => (f.includes(',') ? `"${f}"` : f)).join(','))].join('\n') + '\n';

interface Report {
  ok: { planned: { a: { device: string; port: string }; b: { device: string; port: string } } }[];
  missing: { planned: { a: { device: string; port: string }; b: { device: string; port: string } } }[];
  unexpected: { a: { device: string; port: string }; b: { device: string; port: string } }[];
  miswired: { expected: { device: string; port: string }; found: { device: string; port: string } }[];
}
const ends = (c: { a: { device: string; port: string }; b: { device: string; port: string } }) =>
  [`${c.a.device}:${c.a.port}`, `${c.b.device}:${c.b.port}`].sort().join(' — ');

async function post(body: string, type = 'text/csv', token = TOKEN): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${base}/api/verify-cabling`, {
    method: 'POST',
    headers: { 'Content-Type': type, Authorization: `Bearer ${token}`, 'X-Requested-With': 'XMLHttpRequest' },
    body,
  });
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) as unknown };
}

function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, 'verify-cabling', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A port of a set device that no cable of the set uses (for a planned cable nothing observes). */
function idlePort(device: string): string {
  const store = run.collector.store;
  const address = server.built.find((b) => b.device.name === device)!.address;
  const sw = store.findNodes('MgmtAddress', address)[0]!;
  const used = new Set(set.links.flatMap(([a, ap, b, bp]) => [a === device ? ap : '', b === device ? bp : '']));
  const ports = store
    .edgesOf(sw.ID, 'out')
    .filter((e) => e.Metadata.RelationType === 'ownership')
    .map((e) => store.getNode(e.Child))
    .filter((p): p is GraphNode => p?.Metadata.Type === 'port' && p.Metadata.IfType === 6)
    .map((p) => String(p.Metadata.Name))
    .filter((n) => !used.has(n) && !run.links().some((l) => l.includes(`${device}:${n}`)))
    .sort();
  return ports[0]!;
}

describe('verify-cabling against a collector polling the dc-mixed SNMP set', () => {
  it('the set’s adjacency list as the plan: every cable ok, nothing missing, unexpected or miswired', async () => {
    const r = await post(csv(set.links));
    expect(r.status).toBe(200);
    const b = r.body as Report;
    expect(b.ok.map((x) => ends(x.planned)).sort()).toEqual(
      set.links.map(([a, ap, bb, bp]) => ends({ a: { device: a, port: ap }, b: { device: bb, port: bp } })).sort(),
    );
    expect([b.missing, b.unexpected, b.miswired]).toEqual([[], [], []]);
    // The same plan in the fabric DSL (Content-Type text/plain): the same answer.
    const label = (d: string, p: string) => `${d}_${p}`.replace(/[^A-Za-z0-9_]/g, '_');
    const dsl = set.links.flatMap(([a, ap, bb, bp]) => [
      `${label(a, ap)}_DEV[Name=${a}] -> ${label(a, ap)}[Name=${ap}]`,
      `${label(bb, bp)}_DEV[Name=${bb}] -> ${label(bb, bp)}[Name=${bp}]`,
      `${label(a, ap)} --> ${label(bb, bp)}`,
    ]);
    const d = await post(dsl.join('\n'), 'text/plain');
    expect(d.status).toBe(200);
    expect((d.body as Report).ok.map((x) => ends(x.planned)).sort()).toEqual(b.ok.map((x) => ends(x.planned)).sort());
  });

  it('one end moved → miswired naming both ports; a cable left out → unexpected; an extra cable → missing (API and CLI --json)', async () => {
    const [moved, dropped, ...rest] = set.links as [SetLink, SetLink, ...SetLink[]];
    // spine1 Ethernet49 — leaf1 xe-0/0/0 planned on leaf1's idle port instead.
    const otherPort = idlePort(moved[2]);
    const extra: SetLink = [rest[0]![0], idlePort(rest[0]![0]), rest[1]![2], idlePort(rest[1]![2])];
    const plan = [[moved[0], moved[1], moved[2], otherPort] as SetLink, ...rest, extra];
    const r = (await post(csv(plan))).body as Report;
    expect(r.ok).toHaveLength(rest.length);
    expect(r.miswired.map((m) => `expected ${m.expected.device}:${m.expected.port} found ${m.found.port}`)).toEqual([
      `expected ${moved[2]}:${otherPort} found ${moved[3]}`,
    ]);
    expect(r.missing.map((m) => ends(m.planned))).toEqual([
      ends({ a: { device: extra[0], port: extra[1] }, b: { device: extra[2], port: extra[3] } }),
    ]);
    expect(
      r.unexpected.map((u) => ends({ a: { ...u.a, device: u.a.device.split('.')[0]! }, b: { ...u.b, device: u.b.device.split('.')[0]! } })),
    ).toEqual([ends({ a: { device: dropped[0], port: dropped[1] }, b: { device: dropped[2], port: dropped[3] } })]);

    // The real CLI, --json, with the viewer token: the same answer, exit status 3.
    const file = join(dir, 'plan.csv');
    writeFileSync(file, csv(plan));
    const c = await cli('--intent', file, '--collector', base, '--token', TOKEN, '--json');
    expect(c.stderr).toBe('');
    expect(c.status).toBe(3);
    const j = JSON.parse(c.stdout) as Record<string, unknown[]>;
    expect(Object.keys(j).slice(0, 4)).toEqual(['ok', 'missing', 'unexpected', 'miswired']);
    expect(j).toEqual(r);
    // The true plan (a non-.csv name: the header says CSV): every cable ok, but the walks come from
    // different real switches, so some cables join ports of different speed or MTU — still exit 3.
    const good = join(dir, 'plan.txt');
    writeFileSync(good, csv(set.links));
    const g = await cli('--intent', good, '--collector', base, '--token', TOKEN, '--json');
    const gj = JSON.parse(g.stdout) as Report &
      Record<
        string,
        {
          a: { device: string; port: string; speed?: number; mtu?: number };
          b: { device: string; port: string; speed?: number; mtu?: number };
        }[]
      >;
    expect(gj.ok).toHaveLength(set.links.length);
    expect([gj.missing, gj.unexpected, gj.miswired, gj.oneSided]).toEqual([[], [], [], []]);
    // leaf1 xe-0/0/1 (Junos QFX5100, 10G) — leaf2 ethernet1/1/26 (Dell OS10, 100G).
    const sp = gj.speedMismatch!.find((x) => ends(x) === 'leaf1:xe-0/0/1 — leaf2:ethernet1/1/26')!;
    expect([sp.a.speed!, sp.b.speed!].sort((x, y) => x - y)).toEqual([10_000_000_000, 100_000_000_000]);
    expect(gj.mtuMismatch!.length).toBeGreaterThan(0);
    expect(g.status, g.stderr).toBe(3);
  }, 60_000);

  it('bad plans are 400 problem+json naming the line; no credentials 401; the CLI says 2 for a refused plan', async () => {
    const bad = await post('a_device,a_port\nx,y\n');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ title: 'Bad cabling plan', line: 1 });
    const dsl = await post('P1 --> P2\n', 'text/plain');
    expect(dsl.status).toBe(400);
    expect((await post('{}', 'application/json')).status).toBe(415);
    const anon = await fetch(`${base}/api/verify-cabling`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body: csv(set.links),
    });
    expect(anon.status).toBe(401);
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'a_device,a_port,b_device,b_port\nspine1,Ethernet49\n');
    const c = await cli('--intent', file, '--collector', base, '--token', TOKEN);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/400: line 2: expected 4 fields/);
  }, 60_000);
});
