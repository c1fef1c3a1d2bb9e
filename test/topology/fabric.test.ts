import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFabricLine, FabricSyntaxError } from '../../src/topology/fabric-dsl.ts';
import { fabricNodeId } from '../../src/topology/fabric.ts';
import { startTestCollector } from '../api/helpers.ts';

describe('fabric DSL parser', () => {
  it('parses ownership, layer2, properties (numbers stay numbers) and wildcards', () => {
    expect(parseFabricLine('TOR1[Name=tor1] -> TOR1_PORT1[Name=port1, MTU=1500]')).toEqual({
      from: { kind: 'node', label: 'TOR1', props: { Name: 'tor1' } },
      to: { kind: 'node', label: 'TOR1_PORT1', props: { Name: 'port1', MTU: 1500 } },
      arrow: '->',
    });
    expect(parseFabricLine('A --> B').arrow).toBe('-->');
    expect(parseFabricLine('TOR1_PORT1 --> *[Type=host,Name=web1]/eth0').to).toEqual({
      kind: 'wildcard',
      match: { Type: 'host', Name: 'web1' },
      iface: 'eth0',
    });
    expect(parseFabricLine('SPINE1[Role=spine]').from).toEqual({ kind: 'node', label: 'SPINE1', props: { Role: 'spine' } });
  });

  it('reports errors with a position', () => {
    expect(() => parseFabricLine('A -> B[Name]')).toThrow(FabricSyntaxError);
    expect(() => parseFabricLine('A -> B[Name]')).toThrow(/at \d+: expected KEY=VALUE/);
    expect(() => parseFabricLine('*[Name=x]/eth0 --> A')).toThrow(/wildcard can only be the target/);
    expect(() => parseFabricLine('A -> !!')).toThrow(/expected LABEL/);
  });
});

describe('fabric applied by the collector', () => {
  it('creates nodes and links on start, completes wildcard links when hosts appear, and reloads changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-fab-'));
    const cfg = join(dir, 'canopy.yml');
    writeFileSync(
      cfg,
      [
        'topology:',
        '  fabric:',
        '    - "TOR1[Name=tor1, Role=leaf] -> TOR1_PORT1[Name=port1, MTU=1500]"',
        '    - "TOR1 -> TOR1_PORT2[Name=port2]"',
        '    - "SPINE1[Name=spine1, Role=spine] --> TOR1"',
        '    - "TOR1_PORT1 --> *[Type=host,Name=web1]/eth0"',
      ].join('\n'),
    );
    const t = await startTestCollector({}, cfg);
    try {
      const q = async (g: string) =>
        (await (await fetch(t.base + '/api/topology', { method: 'POST', body: JSON.stringify({ GremlinQuery: g }) })).json()) as any;
      const tor = (await q("G.V().Has('Name','tor1')"))[0];
      expect(tor).toMatchObject({
        ID: fabricNodeId('TOR1'),
        Origin: 'fabric',
        Metadata: { Type: 'switch', Role: 'leaf', Probe: 'fabric' },
      });
      const p1 = (await q("G.V().Has('Name','port1')"))[0];
      expect(p1.Metadata).toMatchObject({ Type: 'port', MTU: 1500 });
      expect(await q("G.V().Has('Name','tor1').Out().Has('Type','port').Dedup().Count()")).toBe(2);
      expect(await q("G.V().Has('Name','spine1').OutE().Has('RelationType','layer2').Count()")).toBe(1);
      expect(await q("G.V().Has('Name','port1').OutE().Has('RelationType','layer2').Count()")).toBe(0); // web1 not there yet

      // web1 appears later with its eth0: the wildcard link completes.
      const post = (p: string, b: unknown) =>
        fetch(t.base + p, { method: 'POST', body: JSON.stringify(b) }).then((r) => r.json() as Promise<{ ID: string }>);
      const web1 = await post('/api/node', { Metadata: { Name: 'web1', Type: 'host' } });
      const eth0 = await post('/api/node', { Metadata: { Name: 'eth0', Type: 'device', MAC: '02:00:00:00:00:99' } });
      await post('/api/edge', { Parent: web1.ID, Child: eth0.ID, Metadata: { RelationType: 'ownership' } });
      await expect.poll(async () => (await q("G.V().Has('Name','port1').Out().Has('MAC','02:00:00:00:00:99').Count()")) as number).toBe(1);
      const link = (await q("G.V().Has('Name','port1').OutE().Has('RelationType','layer2')"))[0];
      expect(link.Metadata.Evidence.fabric.FirstSeen).toBeGreaterThan(0);

      // Reload: port2 removed, a new port3; a bad file is rejected and changes nothing.
      writeFileSync(
        cfg,
        [
          'topology:',
          '  fabric:',
          '    - "TOR1[Name=tor1, Role=leaf] -> TOR1_PORT1[Name=port1, MTU=9000]"',
          '    - "TOR1 -> TOR1_PORT3[Name=port3]"',
        ].join('\n'),
      );
      const r = await fetch(t.base + '/api/config/reload', { method: 'POST' });
      expect(r.status).toBe(200);
      expect(await q("G.V().Has('Name','port2').Count()")).toBe(0);
      expect(await q("G.V().Has('Name','port3').Count()")).toBe(1);
      expect(await q("G.V().Has('Name','spine1').Count()")).toBe(0);
      expect((await q("G.V().Has('Name','port1')"))[0].Metadata.MTU).toBe(9000);
      writeFileSync(cfg, 'topology:\n  fabric:\n    - "A -> *[Name=x]/eth0"\n');
      const bad = await fetch(t.base + '/api/config/reload', { method: 'POST' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { detail: string }).detail).toMatch(/topology\.fabric\.0/);
      expect(await q("G.V().Has('Name','port3').Count()")).toBe(1);
    } finally {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
