// The containerlab files: valid against containerlab's JSON schema (draft-07) and read by the
// twin into the nodes/links/labels the tests rely on. Runs anywhere (no root needed).
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { planLab } from '../../src/lab/state.ts';
import { parseTopology, TopologyError } from '../../src/lab/topology.ts';

const schema = JSON.parse(readFileSync('containerlab/schema/clab.schema.json', 'utf8')) as Record<string, unknown>;
const FILES = ['containerlab/fabric.clab.yml', 'containerlab/ovs.clab.yml', 'test/lab/fixtures/broken-ifname.clab.yml'];

describe('containerlab topology files', () => {
  // strict off: the schema uses keywords from later drafts (prefixItems) that draft-07 ignores.
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

  it('uses a draft-07 schema', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it.each(FILES)('%s is valid against clab.schema.json', (f) => {
    const ok = validate(parse(readFileSync(f, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects a file the schema forbids (the validator is live)', () => {
    expect(validate({ name: 'x', topology: { nodes: { a: { kind: 'linux', bogus: 1 } } } })).toBe(false);
  });

  it('fabric: 2 spines, 2 leaves, 4 hosts; h3 dual-homed to both leaves, h4 twice to leaf2', () => {
    const t = parseTopology(readFileSync('containerlab/fabric.clab.yml', 'utf8'));
    const by = Object.fromEntries(t.nodes.map((n) => [n.name, n]));
    expect(t.nodes.filter((n) => n.role === 'switch').map((n) => `${n.name}:${n.switchKind}`)).toEqual([
      'spine1:ovs',
      'spine2:bridge',
      'leaf1:ovs',
      'leaf2:bridge',
    ]);
    expect(t.nodes.filter((n) => n.role === 'host').map((n) => n.name)).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect(by.h3!.ifaces.map((i) => i.peer.node)).toEqual(['leaf1', 'leaf2']);
    expect(by.h4!.ifaces.map((i) => `${i.peer.node}:${i.peer.iface}`)).toEqual(['leaf2:eth4', 'leaf2:eth5']);
    expect(by.leaf2!.netflow).toEqual({ versions: [5, 9, 10], iface: 'eth4' });
    expect(t.nodes.filter((n) => n.sflow).map((n) => n.name)).toEqual(['spine1', 'leaf1']);
    expect(by.leaf1!.routes).toEqual([{ dst: '10.77.2.0/24', via: ['10.77.101.2', '10.77.102.2'] }]);
  });

  it('ovs: hypervisors with br-int/br-tun patch pair and a VXLAN tunnel to each other', () => {
    const t = parseTopology(readFileSync('containerlab/ovs.clab.yml', 'utf8'));
    const hv1 = t.nodes.find((n) => n.name === 'hv1')!;
    expect(hv1.ovs!.bridges.map((b) => b.name)).toEqual(['br-phy', 'br-int', 'br-tun']);
    expect(hv1.ovs!.patches).toEqual([{ a: { bridge: 'br-int', port: 'patch-tun' }, b: { bridge: 'br-tun', port: 'patch-int' } }]);
    expect(hv1.ovs!.vxlans).toEqual([{ bridge: 'br-tun', port: 'vxlan0', remote: '10.78.50.2', key: 100 }]);
  });

  it('--subnet-base rewrites every address of the file base, and the prefix names the namespaces', () => {
    const t = parseTopology(readFileSync('containerlab/fabric.clab.yml', 'utf8'));
    const { topo, state } = planLab(t, 'f', { prefix: 'x1-', subnetBase: '10.201', stateDir: '/tmp/x' });
    expect(state.collector.address).toBe('10.201.255.1');
    expect(state.nodes.leaf1!.ns).toBe('x1-leaf1');
    expect(state.mgmtNs).toBe('x1-mgmt');
    expect(topo.nodes.find((n) => n.name === 'leaf1')!.routes[0]).toEqual({ dst: '10.201.2.0/24', via: ['10.201.101.2', '10.201.102.2'] });
    expect(state.nodes.h4!.ifaces.map((i) => i.ipv4[0])).toEqual(['10.201.2.14/24', '10.201.2.24/24']);
    expect(() => planLab(t, 'f', { collector: '10.1.1.1' })).toThrow(/inside the mgmt subnet/);
  });

  it('reports broken files with the node or link at fault', () => {
    const base =
      'name: x\nmgmt: { ipv4-subnet: 10.1.2.0/24 }\ntopology:\n  nodes:\n    a: { kind: linux, mgmt-ipv4: 10.1.2.5, labels: { canopy.role: host } }\n';
    expect(() => parseTopology(base + '  links:\n    - endpoints: ["a:eth1", "b:eth1"]\n')).toThrow(/link #1: unknown node "b"/);
    expect(() => parseTopology(base.replace('host', 'router'))).toThrow(/node a: label canopy.role/);
    expect(() => parseTopology('name: x\ntopology: {}\n')).toThrow(TopologyError);
  });
});
