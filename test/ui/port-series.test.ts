// The wall's port graphs in Debian's Chromium against a real collector: a switch's panel lists its
// busiest links (latest interval) with a sparkline of each port's last hour from GET /api/metrics,
// and a port whose device stopped answering for a while shows a broken line (a gap), not a zero.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from './browser.ts';
import { openPage, startUiCollector, waitForGraph, type UiCollector } from './helpers.ts';
import type { PortSeriesRow } from '../../src/topology/store/port-series.ts';

const MIN = 60_000;

describe.skipIf(chromiumMissing)('port sparklines on the wall (Chromium)', () => {
  let browser: Browser;
  let c: UiCollector;

  beforeAll(async () => {
    browser = (await launchChromium())!;
    c = await startUiCollector();
    const now = Date.now();
    const lum = (bytes: number) => ({ RxBytes: bytes, TxBytes: bytes / 2, Start: now - MIN, Last: now, Source: 'snmp' });
    c.collector.store.write((tx) => {
      for (const [id, name, role] of [
        ['sw-leaf', 'leaf1', 'leaf'],
        ['sw-spine1', 'spine1', 'spine'],
        ['sw-spine2', 'spine2', 'spine'],
      ] as const)
        tx.upsertNode({ ID: id, Metadata: { Type: 'switch', Name: name, Role: role } });
      // leaf1 eth1 → spine1 (busy, 80 Mbit/s), eth2 → spine2 (8 Mbit/s).
      for (const [p, name, sw, bytes] of [
        ['l1', 'eth1', 'sw-leaf', 600_000_000],
        ['l2', 'eth2', 'sw-leaf', 60_000_000],
        ['s1', 'eth1', 'sw-spine1', 1],
        ['s2', 'eth1', 'sw-spine2', 1],
      ] as const) {
        tx.upsertNode({ ID: p, Metadata: { Type: 'port', Name: name, State: 'UP', Speed: 1e9, LastUpdateMetric: lum(bytes) } });
        tx.upsertEdge({ ID: `own-${p}`, Parent: sw, Child: p, Metadata: { RelationType: 'ownership' } });
      }
      tx.upsertEdge({ ID: 'w1', Parent: 'l1', Child: 's1', Metadata: { RelationType: 'layer2' } });
      tx.upsertEdge({ ID: 'w2', Parent: 'l2', Child: 's2', Metadata: { RelationType: 'layer2' } });
    });
    const rows: PortSeriesRow[] = [];
    const m0 = Math.floor(now / MIN) * MIN - 50 * MIN;
    for (let i = 0; i < 50; i++) {
      const row = (nodeId: string, rx: number): PortSeriesRow => ({
        nodeId,
        source: 'snmp',
        start: m0 + i * MIN,
        last: m0 + (i + 1) * MIN,
        rxBytes: rx,
        txBytes: rx / 2,
        rxPackets: 0,
        txPackets: 0,
        rxErrors: 0,
        txErrors: 0,
        rxDropped: 0,
        txDropped: 0,
      });
      rows.push(row('l1', 600_000_000 + i * 1_000_000));
      // eth2's device did not answer for minutes 20–29.
      if (i < 20 || i >= 30) rows.push(row('l2', 60_000_000));
    }
    c.collector.storage.portSeries.append(rows);
  });
  afterAll(async () => {
    await browser?.close();
    await c?.stop();
  });

  it("lists a switch's busiest links with each port's last hour, broken where readings are missing", async () => {
    const page = await openPage(browser, `${c.base}/`);
    await waitForGraph(page, 3);
    await page.fill('#search', 'leaf1');
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#panel h2')?.textContent === 'leaf1');
    await page.waitForSelector('#panel .busiest svg.spark polyline.in', { timeout: 10_000 });
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#panel .busiest svg.spark').length === 2);
    const rows = await page.$$eval('#panel .busiest tr', (trs) =>
      trs.map((tr) => ({
        cells: [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent),
        ins: tr.querySelectorAll('svg.spark polyline.in').length,
        points: [...tr.querySelectorAll('svg.spark polyline.in')].map((p) => p.getAttribute('points')!.split(' ').length),
      })),
    );
    expect(rows.map((r) => r.cells)).toEqual([
      ['eth1', 'spine1', '80.0 Mbit/s'],
      ['eth2', 'spine2', '8.0 Mbit/s'],
    ]);
    // eth1: one unbroken run of 50 minutes; eth2: two runs around the 10-minute silence.
    expect(rows[0]!.ins).toBe(1);
    expect(rows[0]!.points[0]).toBeGreaterThanOrEqual(49);
    expect(rows[1]!.ins).toBe(2);
    expect(rows[1]!.points).toEqual([20, 20]);
    await page.close();
  });
});
