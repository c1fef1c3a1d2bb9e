// A real collector with the UI component, a fabric published through /ws/publisher, and a
// browser page on it. The lab end-to-end test will reuse startUiCollector/openPage with the lab's
// SNMP-polled fabric instead of publishFabric.
import { mkdtempSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config/load.ts';
import { Collector } from '../../src/collector.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';
import { uiComponent } from '../../src/ui/component.ts';
import { ensureUiBuilt } from '../../src/ui/build.ts';
import type { Fabric } from '../../src/ui/web/fabric.ts';
import type { ComponentSpec } from '../../src/component/contract.ts';

export interface UiCollector {
  collector: Collector;
  base: string;
  addr: string;
  dir: string;
  /** Stops the collector but keeps its data dir (for restart tests). */
  halt(): Promise<void>;
  stop(): Promise<void>;
}

/** `components` replaces the UI-only default (e.g. defaultComponents() for a collector with flow listeners). */
export async function startUiCollector(
  overrides: Record<string, unknown> = {},
  dir?: string,
  components: ComponentSpec[] = [uiComponent()],
): Promise<UiCollector> {
  await ensureUiBuilt();
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'canopy-ui-'));
  const config = loadConfig({ env: {}, overrides: { 'api.listen': '127.0.0.1:0', 'storage.dataDir': dataDir, ...overrides } });
  const collector = new Collector({ config, log: silentLogger(), registry: createRegistry(false), components });
  await collector.start();
  const addr = collector.apiAddresses[0]!;
  let halted = false;
  return {
    collector,
    addr,
    base: `http://${addr}`,
    dir: dataDir,
    async halt() {
      if (!halted) await collector.stop();
      halted = true;
    },
    async stop() {
      if (!halted) await collector.stop();
      halted = true;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Publishes a fabric as one publisher Sync and waits until the store holds it. */
export async function publishFabric(c: UiCollector, fab: Fabric, hostId = 'ui-test'): Promise<void> {
  const ws = new WebSocket(`ws://${c.addr}/ws/publisher?x-client-type=test&x-host-id=${hostId}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ Namespace: 'Graph', Type: 'Sync', UUID: 'sync-1', Obj: { Nodes: fab.nodes, Edges: fab.edges } }));
  const deadline = Date.now() + 20_000;
  while (c.collector.store.edgeCount() < fab.edges.length) {
    if (Date.now() > deadline) throw new Error(`publisher sync incomplete: ${c.collector.store.edgeCount()}/${fab.edges.length} edges`);
    await new Promise((r) => setTimeout(r, 50));
  }
  ws.close();
}

/** Sets a node's State through the REST API (JSON Patch), as an operator script would. */
export async function setState(base: string, id: string, state: 'UP' | 'DOWN', headers: Record<string, string> = {}): Promise<void> {
  const r = await fetch(`${base}/api/node/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json-patch+json', ...headers },
    body: JSON.stringify([{ op: 'add', path: '/Metadata/State', value: state }]),
  });
  if (!r.ok) throw new Error(`PATCH ${id}: ${r.status} ${await r.text()}`);
}

export async function openPage(browser: Browser, url: string, size = { width: 1600, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport: size });
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.goto(url);
  return page;
}

/** Waits until the page has drawn a synced graph. */
export async function waitForGraph(page: Page, minNodes = 1, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const c = (globalThis as any).__canopy;
      return c && c.stats().syncs > 0 && c.stats().nodes >= n && c.stats().frames > 0;
    },
    minNodes,
    { timeout },
  );
}

export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
export const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');

/** Saves a PNG test artifact; CANOPY_UPDATE_SCREENSHOTS=1 also refreshes the README copy. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  await page.screenshot({ path: file });
  if (process.env.CANOPY_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(SCREENSHOTS, { recursive: true });
    copyFileSync(file, join(SCREENSHOTS, name));
  }
  return file;
}
