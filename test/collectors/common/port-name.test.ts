// Which source names a port: an explicit NameSource on the node, ranked (SNMP above the flow
// sources above the placeholder), instead of guessing from the name's text.
import { describe, expect, it } from 'vitest';
import { mayName, nameSourceOf, type NameSource } from '../../../src/collectors/common/port-name.ts';
import { createSflowHandler } from '../../../src/collectors/sflow/component.ts';
import { decodeSflow } from '../../../src/collectors/sflow/decode.ts';
import { ids } from '../../../src/topology/ids.ts';
import { AGENT, CHASSIS, env, ovsDatagrams, poll } from '../flows/merge-env.ts';

/** The names the OVS capture's port-name records (format 1005) give, by ifIndex. */
function ovsPortNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const d of ovsDatagrams())
    for (const c of decodeSflow(d.data).counters) if (c.format === 1005 && c.ifIndex) names.set(c.ifIndex, c.portName as string);
  return names;
}

function feedAll(e: ReturnType<typeof env>): void {
  const { handle } = createSflowHandler(e.ctx, e.pipeline);
  for (const d of ovsDatagrams()) handle({ data: d.data, address: AGENT, port: 6343, localPort: 6343, receivedAt: d.at });
}

describe('port name sources', () => {
  it('rank: SNMP names over anyone, a flow source names only placeholders, the first flow source keeps it', () => {
    const md = (NameSource: NameSource) => ({ Name: 'x', NameSource });
    expect(mayName(md('placeholder'), 'sflow')).toBe(true);
    expect(mayName(md('placeholder'), 'netflow')).toBe(true);
    expect(mayName(md('sflow'), 'netflow')).toBe(false);
    expect(mayName(md('netflow'), 'sflow')).toBe(false);
    expect(mayName(md('snmp'), 'sflow')).toBe(false);
    expect(mayName(md('sflow'), 'snmp')).toBe(true);
    // The field decides, not the text: an SNMP ifName that looks like a placeholder is still SNMP's.
    expect(mayName({ Name: 'ifIndex 7', NameSource: 'snmp' }, 'sflow')).toBe(false);
    // Nodes stored before the field existed.
    expect(nameSourceOf({ Name: 'ifIndex 7' })).toBe('placeholder');
    expect(nameSourceOf({ Name: 'Ethernet7' })).toBe('snmp');
  });

  it('a port first seen in sFlow counters is a placeholder until the OVS port-name record names it (NameSource sflow)', () => {
    const e = env({ 'storage.counterUpdateInterval': 0 });
    feedAll(e);
    const names = ovsPortNames();
    const dev = ids.exporter(AGENT, 0);
    let named = 0;
    for (const [ifIndex, name] of names) {
      const md = e.store.getNode(ids.port(dev, ifIndex))?.Metadata;
      // Ports with a name record but no generic counters are never made.
      if (!md) continue;
      expect(md).toMatchObject({ Name: name, NameSource: 'sflow' });
      named++;
    }
    expect(named).toBeGreaterThanOrEqual(3);
  });

  it("SNMP's names stay when sFlow names the same ports, and SNMP's poll names a port sFlow named", () => {
    const e = env({ 'storage.counterUpdateInterval': 0 });
    const names = ovsPortNames();
    const [first, ...rest] = [...names.keys()];
    // SNMP polls the switch at the agent's address first, knowing all ports but one.
    const sw = poll(e, { address: AGENT, sysName: 'sw', chassis: CHASSIS, ports: rest.map((i) => [i, `snmp-${i}`] as [number, string]) });
    feedAll(e);
    for (const i of rest) expect(e.store.getNode(ids.port(sw, i))?.Metadata).toMatchObject({ Name: `snmp-${i}`, NameSource: 'snmp' });
    expect(e.store.getNode(ids.port(sw, first!))?.Metadata).toMatchObject({ Name: names.get(first!), NameSource: 'sflow' });
    // The next poll lists that port too: SNMP's name wins.
    poll(e, { address: AGENT, sysName: 'sw', chassis: CHASSIS, ports: [...names.keys()].map((i) => [i, `snmp-${i}`] as [number, string]) });
    expect(e.store.getNode(ids.port(sw, first!))?.Metadata).toMatchObject({ Name: `snmp-${first!}`, NameSource: 'snmp' });
  });
});
