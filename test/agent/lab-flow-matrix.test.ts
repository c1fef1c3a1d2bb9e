// The flow matrix in the lab (test/lab/fixtures/flow-matrix.clab.yml): real host agents in h1–h3,
// one TCP server on the same port in each, each host's client connected to the other two, a
// loopback client on h1, and a UDP client on h2 of a server on h3 → exactly the expected CSV rows
// from `canopy flow-matrix`; DOT with one cluster per host; the SVG parsed in Chromium and shown
// in the wall's side panel of a host. h4 runs no agent: its connection to h1 is known from NetFlow
// (softflowd on the switch port) with --use-flows, h4 named by its IP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../lab/lab-fixture.ts';
import { chromiumMissing, launchChromiumIn } from '../ui/browser.ts';
import { ensureUiBuilt } from '../../src/ui/build.ts';
import { screenshot } from '../ui/helpers.ts';
import { DOC_MAC, cookbookBlocks, cookbookRunner } from '../lab/cookbook.ts';

const skip = labSkipReason() ?? chromiumMissing ?? null;
const FILE = 'test/lab/fixtures/flow-matrix.clab.yml';
const PORT = 18197;
const SVC = 7000;
const UDP = 5353;
const TOKEN = 'lab-matrix-admin-token';
const AGENTS = ['h1', 'h2', 'h3'] as const;
const HEADER = 'protocol,server,server_ip,port,server_proc,server_procname,client,client_ip,client_proc,client_procname';

const SERVER = `process.title = 'svc-server';
require('net').createServer((s) => { s.on('data', () => {}); s.on('error', () => {}); }).listen(${SVC}, '0.0.0.0', () => console.log('LISTEN'));`;
// UDP: a bound server on h3, and h2's connected client sending to it.
const UDP_SERVER = `process.title = 'svc-udp';
const s = require('dgram').createSocket('udp4'); s.on('message', () => {}); s.bind(${UDP}, '0.0.0.0', () => console.log('BOUND'));`;
const UDP_CLIENT = `process.title = 'svc-udpc';
const s = require('dgram').createSocket('udp4');
s.connect(${UDP}, process.argv[1], () => { console.log('CONNECTED'); setInterval(() => s.send('.'), 500); });`;
// Connects to every address given and keeps the connections, writing a byte every 500 ms so a
// flow exporter keeps seeing them.
const CLIENT = (title: string) => `process.title = '${title}';
const addrs = process.argv.slice(1); let up = 0;
for (const a of addrs) {
  const s = require('net').connect(${SVC}, a, () => { if (++up === addrs.length) console.log('CONNECTED'); setInterval(() => s.write('.'), 500); });
  s.on('error', (e) => { console.error(a, e.message); process.exit(1); });
}`;

describe.skipIf(skip !== null)(`flow matrix from host agents in the lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  let collector: LabChild;
  let browser: Browser | undefined;
  let dir = '';
  const ip: Record<string, string> = {};
  const node = realpathSync(process.execPath);

  const matrix = async (...args: string[]) => {
    const r = await lab.exec(
      lab.mgmtNs,
      process.execPath,
      ['bin/canopy.js', 'flow-matrix', '--collector', `http://127.0.0.1:${PORT}`, '--token', TOKEN, ...args],
      { timeoutMs: 30_000 },
    );
    return r.stdout;
  };
  const rowsOf = (csv: string) => csv.trim().split('\n');

  beforeAll(async () => {
    await ensureUiBuilt();
    lab = await startLab(FILE, { netflowPort: 12055 });
    dir = join(lab.stateDir, 'matrix');
    mkdirSync(dir, { recursive: true });
    const base = lab.collector.address.split('.').slice(0, 2).join('.');
    for (const h of ['h1', 'h2', 'h3', 'h4']) ip[h] = `${base}.1.1${h.slice(1)}`;

    const cfg = join(dir, 'collector.yml');
    writeFileSync(
      cfg,
      JSON.stringify({
        api: { listen: [`127.0.0.1:${PORT}`, `${lab.collector.address}:${PORT}`] },
        storage: { dataDir: join(dir, 'data') },
        sflow: { listen: '127.0.0.1:0' },
        netflow: { listen: `${lab.collector.address}:12055` },
        ipfix: { listen: '127.0.0.1:0' },
        snmp: { enabled: false },
        auth: { tokens: [{ token: TOKEN, role: 'admin' }], users: [{ name: 'noc', password: 'lab-wall-pw', role: 'viewer' }] },
        agents: { tokens: AGENTS.map((h) => ({ token: `matrix-agent-${h}`, host: h })) },
      }),
    );
    collector = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', cfg], {
      env: { ...process.env, CANOPY_LOG_LEVEL: 'warn' },
    });
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await lab.exec(lab.mgmtNs, 'curl', ['-s', '--max-time', '2', `http://127.0.0.1:${PORT}/healthz`], { allowFail: true });
      if (r.stdout.includes('ok')) break;
      if (Date.now() > until) throw new Error(`collector did not start: ${collector.stderr()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const h of AGENTS) {
      const agent = {
        collector: `ws://${lab.collector.address}:${PORT}`,
        token: `matrix-agent-${h}`,
        hostname: h,
        // Namespaces share /etc/machine-id: each lab host needs an identity of its own.
        machineId: `canopy-matrix-${h}`,
        netns: { match: '^$', processes: false },
        docker: { enabled: false },
        runc: { dirs: [] },
        sockets: { interval: 1 },
        lldp: { socket: lab.nodes[h]!.lldpSocket, interval: 5 },
      };
      writeFileSync(join(dir, `agent-${h}.yml`), JSON.stringify({ agent }));
      lab.spawnIn(lab.namespaces[h]!, process.execPath, ['bin/canopy.js', 'agent', '--config', join(dir, `agent-${h}.yml`)]);
    }
    for (const h of AGENTS) await lab.spawnIn(lab.namespaces[h]!, process.execPath, ['-e', SERVER]).waitForOutput(/LISTEN/);
    for (const h of AGENTS) {
      const others = AGENTS.filter((o) => o !== h).map((o) => ip[o]!);
      await lab.spawnIn(lab.namespaces[h]!, process.execPath, ['-e', CLIENT('svc-client'), ...others]).waitForOutput(/CONNECTED/);
    }
    await lab.spawnIn(lab.namespaces.h1!, process.execPath, ['-e', CLIENT('svc-local'), '127.0.0.1']).waitForOutput(/CONNECTED/);
    await lab.spawnIn(lab.namespaces.h3!, process.execPath, ['-e', UDP_SERVER]).waitForOutput(/BOUND/);
    await lab.spawnIn(lab.namespaces.h2!, process.execPath, ['-e', UDP_CLIENT, ip.h3!]).waitForOutput(/CONNECTED/);
    await lab.spawnIn(lab.namespaces.h4!, process.execPath, ['-e', CLIENT('svc-remote'), ip.h1!]).waitForOutput(/CONNECTED/);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
    await lab?.stop();
  }, 30_000);

  const expected = () => {
    const rows: string[] = [];
    for (const s of AGENTS)
      for (const c of AGENTS) if (s !== c) rows.push(`TCP,${s},${ip[s]},${SVC},${node},svc-server,${c},${ip[c]},${node},svc-client`);
    rows.push(`TCP,h1,127.0.0.1,${SVC},${node},svc-server,h1,127.0.0.1,${node},svc-local`);
    // UDP: the server is the host owning the address h2's socket is connected to.
    rows.push(`UDP,h3,${ip.h3},${UDP},${node},svc-udp,h2,${ip.h2},${node},svc-udpc`);
    return rows.sort();
  };

  it('the CSV has exactly one row per server/client pair, the loopback client and the UDP pair, with hosts, IPs, port and processes', async () => {
    let csv = '';
    await expect
      .poll(
        async () => {
          csv = await matrix();
          return rowsOf(csv).slice(1).sort();
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toEqual(expected());
    expect(rowsOf(csv)[0]).toBe(HEADER);
    // h4 (no agent) connects to h1 too: listed only when asked for, by IP.
    // h4's connection is the last one made: h1's agent may report it a socket scan after the rest.
    await expect
      .poll(async () => rowsOf(await matrix('--list-no-peers')).slice(1), { timeout: 15_000, interval: 1000 })
      .toContain(`TCP,h1,${ip.h1},${SVC},${node},svc-server,${ip.h4},${ip.h4},,`);
    const json = JSON.parse(await matrix('--format', 'json')) as Record<string, unknown>[];
    expect(json).toHaveLength(expected().length);
  }, 90_000);

  it('DOT has one cluster per host, a node per process and client → server edges labelled PROTO : ip:port', async () => {
    const dot = await matrix('--format', 'dot');
    expect(dot.match(/subgraph "cluster_\d+"/g)).toHaveLength(3);
    for (const h of AGENTS) expect(dot).toContain(`label="${h}";`);
    expect(dot).toContain(`"h2|${node}|svc-client" -> "h1|${node}|svc-server" [label="TCP : ${ip.h1}:${SVC}"];`);
    expect(dot).toContain(`"h1|${node}|svc-local" -> "h1|${node}|svc-server" [label="TCP : 127.0.0.1:${SVC}"];`);
  }, 30_000);

  it('--use-flows: NetFlow from the switch fills in h4, which runs no agent, by its IP', async () => {
    const row = `TCP,h1,${ip.h1},${SVC},${node},svc-server,${ip.h4},${ip.h4},,`;
    expect(rowsOf(await matrix())).not.toContain(row);
    await expect.poll(async () => rowsOf(await matrix('--use-flows')), { timeout: 60_000, interval: 2000 }).toContain(row);
    const rows = rowsOf(await matrix('--use-flows'))
      .slice(1)
      .sort();
    expect(rows).toEqual([...expected(), row].sort());
  }, 90_000);

  it('the socket queries of docs/query-cookbook.md (matrix-*) answer what the doc says', async () => {
    type Sock = { Name: string; State: string; LocalAddress: string; LocalPort: number; RemoteAddress: string };
    const run = cookbookRunner(lab, `http://127.0.0.1:${PORT}`, DOC_MAC, ['-H', `Authorization: Bearer ${TOKEN}`]);
    const socketsIn = (out: unknown) => Object.values((out as Record<string, Sock[]>[])[0]!).flat();
    const checks: Record<string, (out: unknown) => void> = {
      'matrix-hosts-with-sockets': (out) => expect((out as string[]).sort()).toEqual(['h1', 'h2', 'h3']),
      'matrix-sockets-of-host': (out) => {
        expect(Object.keys((out as object[])[0]!)).toHaveLength(1);
        expect(socketsIn(out)).toContainEqual(expect.objectContaining({ State: 'LISTEN', LocalPort: SVC, Name: 'svc-server' }));
      },
      'matrix-peer': (out) => expect(out).toEqual(['h2']),
      'matrix-host-by-addr': (out) => expect(out).toEqual(['h1']),
      'matrix-flow-sockets': (out) =>
        expect(socketsIn(out)).toContainEqual(
          expect.objectContaining({ Name: 'svc-server', LocalAddress: ip.h1, LocalPort: SVC, RemoteAddress: ip.h4 }),
        ),
    };
    const blocks = cookbookBlocks().blocks.filter((b) => b.id.startsWith('matrix-'));
    expect(blocks.map((b) => b.id).sort()).toEqual(Object.keys(checks).sort());
    for (const b of blocks) {
      const out = await run.gremlin(b.code);
      try {
        checks[b.id]!(out);
      } catch (e) {
        throw new Error(`docs/query-cookbook.md line ${b.line} (check ${b.id}) answered ${JSON.stringify(out).slice(0, 600)}`, {
          cause: e,
        });
      }
    }
  }, 30_000);

  it("the SVG parses, has the hosts' clusters and processes, and shows in a host's side panel on the wall", async () => {
    browser = await launchChromiumIn(lab.mgmtNs, lab.stateDir);
    const page = await browser!.newPage({ viewport: { width: 1600, height: 900 } });
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('input[name=username]', 'noc');
    await page.fill('input[name=password]', 'lab-wall-pw');
    await page.click('#login button');
    await page.waitForSelector('#login', { state: 'hidden' });
    // The whole SVG as the CLI prints it, parsed by the browser's XML parser.
    const svg = await matrix('--format', 'svg');
    const parsed = await page.evaluate((text) => {
      const doc = new (globalThis as any).DOMParser().parseFromString(text, 'image/svg+xml');
      const titles = (sel: string) => [...doc.querySelectorAll(sel)].map((g) => g.querySelector('title')?.textContent ?? '');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.nodeName,
        clusters: [...doc.querySelectorAll('g.cluster text')].map((t) => t.textContent),
        nodes: titles('g.node'),
        edges: [...doc.querySelectorAll('g.edge text')].map((t) => t.textContent),
      };
    }, svg);
    expect(parsed.error).toBeNull();
    expect(parsed.root).toBe('svg');
    expect(parsed.clusters.sort()).toEqual(['h1', 'h2', 'h3']);
    expect(parsed.nodes.sort()).toEqual(
      [
        'h1|svc-client',
        'h1|svc-local',
        'h1|svc-server',
        'h2|svc-client',
        'h2|svc-server',
        'h2|svc-udpc',
        'h3|svc-client',
        'h3|svc-server',
        'h3|svc-udp',
      ]
        .map((k) => k.replace('|', `|${node}|`))
        .sort(),
    );
    expect(parsed.edges.filter((t) => t === `TCP : ${ip.h1}:${SVC}`)).toHaveLength(2);

    // The wall: find h2, open its panel; its matrix shows h2's rows only (its server, its client).
    await page.waitForFunction(() => (globalThis as any).__canopy?.stats().syncs > 0, undefined, { timeout: 20_000 });
    await page.fill('#search', 'h2');
    await page.waitForSelector('#results:not([hidden]) div');
    await page.press('#search', 'Enter');
    await page.waitForSelector('#panel .flow-matrix svg', { timeout: 20_000 });
    expect(await page.textContent('#panel h2')).toBe('h2');
    const shown = await page.$$eval('#panel .flow-matrix svg g.cluster text', (ts) => ts.map((t) => t.textContent).sort());
    expect(shown).toEqual(['h1', 'h2', 'h3']);
    const box = await page.$eval('#panel .flow-matrix svg', (el) => {
      const r = el.getBoundingClientRect();
      return { w: r.width, h: r.height };
    });
    expect(box.w).toBeGreaterThan(100);
    expect(box.h).toBeGreaterThan(50);
    await page.$eval('#panel .flow-matrix', (el) => el.scrollIntoView());
    await screenshot(page, 'ui-wall-flow-matrix-panel.png');
    await page.close();
  }, 90_000);
});
