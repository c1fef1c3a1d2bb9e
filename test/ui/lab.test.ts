// The wall display end to end on the lab twin of containerlab/fabric.clab.yml: a collector on
// only the config `lab up` wrote polls the switches from the management namespace (SNMP + LLDP,
// traps) and the stitcher cables hosts to TOR ports; Debian's Chromium, run inside the same namespace, draws it. The fabric
// appears on its tiers with its links, a port taken down in the lab turns the link red within
// 2 s and the header counts what /api/status counts, search finds a host by MAC and its panel
// shows that MAC, a switch's panel shows the sysDescr its snmpd answers and the uptime its
// sysUpTime gives, and kiosk mode fills the screen and reconnects after the collector restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { labSkipReason, startLab, type LabChild, type TestLab } from '../lab/lab-fixture.ts';
import { chromiumMissing, launchChromiumIn } from './browser.ts';
import { ensureUiBuilt } from '../../src/ui/build.ts';
import { screenshot, waitForGraph } from './helpers.ts';

const skip = labSkipReason() ?? chromiumMissing ?? null;
const FILE = 'containerlab/fabric.clab.yml';
// The API address the lab's collector config gives (127.0.0.1 of the management namespace).
const BASE = 'http://127.0.0.1:8082';

describe.skipIf(skip !== null)(`wall display on the lab fabric${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: TestLab;
  let collector: LabChild;
  let browser: Browser;
  let cfg: string;

  const ready = async () => {
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await lab.exec(lab.mgmtNs, 'curl', ['-s', '--max-time', '2', `${BASE}/healthz`], { allowFail: true });
      if (r.stdout.includes('ok')) return;
      if (Date.now() > until) throw new Error(`collector did not start: ${collector.stderr()}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  };
  const start = async () => {
    // The collector reads CANOPY_* variables as config keys: the tests' own switch is not one.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
    collector = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', cfg], { env });
    await ready();
  };
  const open = async (path: string, size = { width: 1600, height: 900 }): Promise<Page> => {
    const page = await browser.newPage({ viewport: size });
    await page.goto(`${BASE}${path}`);
    return page;
  };
  /** Waits until the page shows the four switches and the TOR-to-host links the stitcher made. */
  const fabricDrawn = async (page: Page) => {
    await waitForGraph(page, 4, 30_000);
    try {
      await page.waitForFunction(
        () => {
          const k = (globalThis as any).__canopy.stats().kinds;
          return k.spine === 2 && k.leaf === 2 && (k.group ?? 0) + (k.host ?? 0) >= 2;
        },
        undefined,
        { timeout: 45_000 },
      );
    } catch (e) {
      // Say what the page and the collector had, so a failure here can be diagnosed.
      const st = await page.evaluate(() => {
        const c = (globalThis as any).__canopy;
        const g = c.app.vm.g;
        const md = (id: string) => g.nodes.get(id)?.Metadata ?? {};
        const wired: string[] = [];
        for (const e of g.edges.values()) {
          if (e.Metadata.RelationType === 'ownership') continue;
          const a = c.app.vm.topOf.get(e.Parent);
          const b = c.app.vm.topOf.get(e.Child);
          wired.push(
            `${md(a).Type}:${md(a).Name}(${md(e.Parent).Type}:${md(e.Parent).Name})-${md(b).Type}:${md(b).Name}(${md(e.Child).Type}:${md(e.Child).Name}) ${e.Metadata.RelationType}`,
          );
        }
        return { ...c.stats(), wired };
      });
      const graph = (await lab.exec(lab.mgmtNs, 'curl', ['-s', '--max-time', '5', `${BASE}/api/topology`], { allowFail: true })).stdout;
      let summary = graph.slice(0, 200);
      try {
        const g = JSON.parse(graph) as {
          Nodes: { Metadata: { Type: string; Name: string } }[];
          Edges: { Metadata: { RelationType: string; State?: string } }[];
        };
        summary = JSON.stringify({
          nodes: g.Nodes.filter((n) => n.Metadata.Type !== 'port').map((n) => `${n.Metadata.Type}:${n.Metadata.Name}`),
          layer2: g.Edges.filter((x) => x.Metadata.RelationType === 'layer2').map((x) => x.Metadata.State),
        });
      } catch {
        // not JSON: keep the raw start
      }
      throw new Error(
        `fabric not drawn: page ${JSON.stringify(st)}; graph ${summary}; collector stderr ${collector.stderr().slice(-500)}`,
        { cause: e },
      );
    }
  };

  beforeAll(async () => {
    await ensureUiBuilt();
    // Nothing but what `canopy lab up` hands out: its default ports and the collector config it wrote.
    lab = await startLab(FILE);
    cfg = lab.state.collectorConfig!;
    await start();
    browser = (await launchChromiumIn(lab.mgmtNs, lab.stateDir))!;
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
    await lab?.stop();
  }, 30_000);

  it('draws the lab fabric on its tiers: spines above leaves above the host groups, with the cabled links', async () => {
    const page = await open('/');
    await fabricDrawn(page);
    const pos = await page.evaluate(() => {
      const c = (globalThis as any).__canopy;
      const at = (label: string) => c.node(c.byLabel(label));
      return {
        spine1: at('spine1'),
        spine2: at('spine2'),
        leaf1: at('leaf1'),
        leaf2: at('leaf2'),
        groups: c.app.vm.nodes.filter((n: any) => n.kind === 'group').map((n: any) => n.y),
      };
    });
    expect(pos.spine1.kind).toBe('spine');
    expect(pos.leaf1.kind).toBe('leaf');
    expect(Math.max(pos.spine1.y, pos.spine2.y)).toBeLessThan(Math.min(pos.leaf1.y, pos.leaf2.y));
    for (const y of pos.groups) expect(y).toBeGreaterThan(Math.max(pos.leaf1.y, pos.leaf2.y));
    // Every spine is cabled to every leaf in fabric.clab.yml.
    for (const s of ['spine1', 'spine2']) {
      for (const l of ['leaf1', 'leaf2']) {
        const link = await page.evaluate(
          ([a, b]) => {
            const c = (globalThis as any).__canopy;
            return c.link(c.byLabel(a), c.byLabel(b));
          },
          [s, l],
        );
        expect(link, `${s}–${l}`).not.toBeNull();
      }
    }
    // The live page kept the slots the start-up snapshot gave (stable layout); a reload shows the
    // picture a newcomer gets, sorted by name.
    await page.reload();
    await fabricDrawn(page);
    await page.click('#fit');
    await page.waitForTimeout(900);
    await screenshot(page, 'ui-lab-fabric.png');
    await page.close();
  }, 90_000);

  it('turns a spine–leaf link red within 2 s of the port going down in the lab (trap), and back', async () => {
    const page = await open('/');
    await fabricDrawn(page);
    const St = await page.evaluate(() => (globalThis as any).__canopy.St);
    const state = () =>
      page.evaluate(() => {
        const c = (globalThis as any).__canopy;
        return c.link(c.byLabel('spine2'), c.byLabel('leaf2'))?.state;
      });
    await page.waitForFunction(
      (up) => {
        const c = (globalThis as any).__canopy;
        return c.link(c.byLabel('spine2'), c.byLabel('leaf2'))?.state === up;
      },
      St.Up,
      { timeout: 15_000 },
    );
    // leaf2's port towards spine2 goes down (both ends, as an unplugged cable).
    const t0 = Date.now();
    await lab.exec(lab.namespaces.leaf2!, 'ip', ['link', 'set', 'eth2', 'down']);
    await lab.exec(lab.namespaces.spine2!, 'ip', ['link', 'set', 'eth2', 'down']);
    // The cable counts as pulled once both ends are down: red within 2 s of that.
    await page.waitForFunction(
      (down) => {
        const c = (globalThis as any).__canopy;
        return c.link(c.byLabel('spine2'), c.byLabel('leaf2'))?.state === down;
      },
      St.Down,
      { timeout: 2000 },
    );
    console.log(`[lab] link red on the wall ${Date.now() - t0} ms after ip link set down`);
    expect(await state()).toBe(St.Down);
    // The header says what the collector says: as many links down as /api/status counts.
    const status = JSON.parse((await lab.exec(lab.mgmtNs, 'curl', ['-s', '--max-time', '5', `${BASE}/api/status`])).stdout) as {
      components: { stitch: { links: Record<string, number> } };
    };
    const down = status.components.stitch.links.DOWN ?? 0;
    expect(down).toBeGreaterThanOrEqual(1);
    await page.waitForFunction(
      (n) => (globalThis as any).document.querySelector('#bar-summary')?.textContent.startsWith(`${n} ${n === 1 ? 'link' : 'links'} down`),
      down,
      { timeout: 5000 },
    );
    await lab.exec(lab.namespaces.leaf2!, 'ip', ['link', 'set', 'eth2', 'up']);
    await lab.exec(lab.namespaces.spine2!, 'ip', ['link', 'set', 'eth2', 'up']);
    await page.close();
  }, 90_000);

  it('finds a lab host by the MAC of its NIC', async () => {
    const mac = (JSON.parse((await lab.exec(lab.namespaces.h4!, 'ip', ['-j', 'link', 'show', 'eth1'])).stdout) as { address: string }[])[0]!
      .address;
    const page = await open('/');
    await fabricDrawn(page);
    await page.fill('#search', mac.toUpperCase());
    await page.waitForSelector('#results:not([hidden]) div', { timeout: 10_000 });
    await page.press('#search', 'Enter');
    await page.waitForSelector('#panel:not([hidden]) h2');
    expect(await page.textContent('#panel h2')).toBe('h4');
    // The host's panel shows the MAC it was found by (its NIC's, learnt from LLDP).
    const macRow = await page.$$eval(
      '#panel table.meta tr',
      (trs) => trs.find((tr) => tr.querySelector('th')?.textContent === 'MAC')?.querySelector('td')?.textContent ?? '',
    );
    expect(macRow.toLowerCase()).toContain(mac.toLowerCase());
    await page.close();
  }, 60_000);

  it("shows a switch's sysDescr and uptime, as its snmpd answers them, in the side panel", async () => {
    const sw = lab.switches.leaf1!;
    const descr = (
      await lab.exec(lab.mgmtNs, 'snmpget', [
        '-v2c',
        '-c',
        sw.snmp.community,
        '-Oqv',
        `${sw.snmp.host}:${sw.snmp.port}`,
        '1.3.6.1.2.1.1.1.0',
      ])
    ).stdout
      .trim()
      .replace(/^"|"$/g, '');
    expect(descr.length).toBeGreaterThan(0);
    const page = await open('/');
    await fabricDrawn(page);
    await page.fill('#search', 'leaf1');
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#panel h2')?.textContent === 'leaf1');
    const sysDescr = await page.$$eval(
      '#panel table.meta tr',
      (trs) => trs.find((tr) => tr.querySelector('th')?.textContent === 'SysDescr')?.querySelector('td')?.textContent ?? '',
    );
    expect(sysDescr).toBe(descr);
    // And the uptime its sysUpTime gives (snmpd counts from its start with the lab): "N s" or
    // "N min", then "(since YYYY-MM-DD HH:MM UTC)".
    const ticks = Number(
      (
        await lab.exec(lab.mgmtNs, 'snmpget', [
          '-v2c',
          '-c',
          sw.snmp.community,
          '-Oqvt',
          `${sw.snmp.host}:${sw.snmp.port}`,
          '1.3.6.1.2.1.1.3.0',
        ])
      ).stdout.trim(),
    );
    const boot = Date.now() - ticks * 10;
    const uptime = await page.$$eval(
      '#panel table.meta tr',
      (trs) => trs.find((tr) => tr.querySelector('th')?.textContent === 'Uptime')?.querySelector('td')?.textContent ?? '',
    );
    const m = /^(\d+) (s|min) \(since (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\)$/.exec(uptime);
    expect(m, `Uptime row: "${uptime}" (snmpd up ${ticks / 100} s)`).not.toBeNull();
    const shownS = Number(m![1]) * (m![2] === 'min' ? 60 : 1);
    const expectS = (Date.now() - boot) / 1000;
    expect(shownS, uptime).toBeLessThanOrEqual(expectS + 5);
    expect(shownS, uptime).toBeGreaterThan(expectS - (m![2] === 'min' ? 65 : 5));
    const since = Date.parse(`${m![3]!.replace(' ', 'T')}:00Z`);
    expect(since, uptime).toBeLessThanOrEqual(boot + 5000);
    expect(since, uptime).toBeGreaterThan(boot - 65_000);
    const heads = await page.$$eval('#panel table.ports tr:first-child th', (ths) => ths.map((t) => t.textContent?.trim() ?? ''));
    expect(heads).toEqual(['port', 'peer', 'load', 'errors']);
    await page.close();
  }, 60_000);

  it('kiosk mode shows the banner while the collector restarts and reconnects by itself', async () => {
    const page = await open('/?kiosk=1&cycle=60', { width: 1920, height: 1080 });
    await fabricDrawn(page);
    await collector.stop();
    await page.waitForSelector('#disconnected', { state: 'visible', timeout: 10_000 });
    await start();
    await page.waitForSelector('#disconnected', { state: 'hidden', timeout: 30_000 });
    await fabricDrawn(page);
    expect(await page.evaluate(() => (globalThis as any).__canopy.stats().connected)).toBe(true);
    await page.waitForTimeout(1000);
    // The two-leaf lab is tall and narrow; the wall still fills most of the screen both ways.
    const fill = await page.evaluate(() => {
      const c = (globalThis as any).__canopy;
      const doc = (globalThis as any).document;
      const pts = c.app.vm.nodes.map((v: any) => c.node(v.id).screen as [number, number]);
      const xs = pts.map((p: [number, number]) => p[0]);
      const ys = pts.map((p: [number, number]) => p[1]);
      const top = doc.getElementById('kiosk-head').getBoundingClientRect().bottom;
      const bottom = doc.getElementById('legend').getBoundingClientRect().top;
      return {
        fx: (Math.max(...xs) - Math.min(...xs)) / (globalThis as any).innerWidth,
        fy: (Math.max(...ys) - Math.min(...ys)) / (bottom - top),
      };
    });
    expect(fill.fx, JSON.stringify(fill)).toBeGreaterThan(0.6);
    expect(fill.fy, JSON.stringify(fill)).toBeGreaterThan(0.75);
    await screenshot(page, 'ui-lab-kiosk.png');
    await page.close();
  }, 90_000);
});
