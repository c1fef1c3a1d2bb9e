// lab.cable_to_wall: a pulled cable in the namespace lab (containerlab/fabric.clab.yml), with the
// collector started on nothing but the config `lab up` wrote, until the spine2–leaf2 link is red
// on the wall (Chromium in the lab's management namespace). Both ends of the cable go down, as an
// unplugged cable does; the time runs from the first `ip link set down`. The peer figure is the
// agent's own share: from the command to the linkDown trap reaching the collector (snmpd's link
// monitor polls ifTable each second). BENCH_CABLE_PULLS sets the number of pulls (default 20).
import type { Page } from 'playwright-core';
import type { Bench, Emit } from './run.ts';
import { labSkipReason, startLab, type TestLab } from '../test/lab/lab-fixture.ts';
import { chromiumMissing, launchChromiumIn } from '../test/ui/browser.ts';
import { waitForGraph } from '../test/ui/helpers.ts';

const PULLS = Number(process.env.BENCH_CABLE_PULLS ?? 20);
const API = 'http://127.0.0.1:8082';

const p = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

async function linkState(page: Page, want: number, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (w) => {
      const c = (globalThis as any).__canopy;
      return c.link(c.byLabel('spine2'), c.byLabel('leaf2'))?.state === w;
    },
    want,
    { timeout: timeoutMs, polling: 'raf' },
  );
}

async function lastLinkTrapAt(lab: TestLab): Promise<number | undefined> {
  const r = await lab.exec(lab.mgmtNs, 'curl', ['-sf', '--max-time', '5', `${API}/api/status`]);
  return (JSON.parse(r.stdout) as { components: { snmp: { traps: { lastLinkTrap?: { kind: string; receivedAt: number } } } } }).components
    .snmp.traps.lastLinkTrap?.receivedAt;
}

async function run(emit: Emit): Promise<void> {
  const skip = labSkipReason() ?? chromiumMissing;
  if (skip) {
    process.stderr.write(`lab.cable_to_wall skipped: ${skip}\n`);
    return;
  }
  const lab = await startLab('containerlab/fabric.clab.yml');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  const collector = lab.spawnInMgmt(process.execPath, ['bin/canopy.js', 'collector', '--config', lab.state.collectorConfig!], { env });
  const browser = await launchChromiumIn(lab.mgmtNs, lab.stateDir);
  try {
    await collector.waitForOutput(/collector listening/, 30_000);
    const page = await browser!.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(`${API}/?kiosk=1`);
    await waitForGraph(page, 4, 30_000);
    const St = (await page.evaluate(() => (globalThis as any).__canopy.St)) as { Up: number; Down: number };
    await linkState(page, St.Up, 60_000);
    const wall: number[] = [];
    const trap: number[] = [];
    const ends = [lab.namespaces.leaf2!, lab.namespaces.spine2!];
    for (let i = 0; i < PULLS; i++) {
      const t0 = Date.now();
      for (const ns of ends) await lab.exec(ns, 'ip', ['link', 'set', 'eth2', 'down']);
      await linkState(page, St.Down, 10_000);
      wall.push(Date.now() - t0);
      const at = await lastLinkTrapAt(lab);
      if (at !== undefined && at >= t0) trap.push(at - t0);
      for (const ns of ends) await lab.exec(ns, 'ip', ['link', 'set', 'eth2', 'up']);
      await linkState(page, St.Up, 10_000);
      // snmpd's link monitor must see the port up before the next pull counts as a change.
      await new Promise((r) => setTimeout(r, 1500));
    }
    emit({
      bench: 'lab.cable_to_wall',
      value: p(wall, 0.99),
      unit: 'ms',
      target: 1000,
      p50: p(wall, 0.5),
      max: Math.max(...wall),
      pulls: wall.length,
      peer: 'snmpd linkDown trap at the collector',
      peerValue: trap.length ? p(trap, 0.99) : -1,
      peerP50: trap.length ? p(trap, 0.5) : -1,
    });
  } finally {
    await browser?.close();
    await collector.stop();
    await lab.stop();
  }
}

export const benches: Bench[] = [{ name: 'lab.cable_to_wall', run }];
