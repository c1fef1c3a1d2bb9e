// Namespaces, veths, Linux bridges, addresses and routes. Every command goes through `run`, so a
// failure names the namespace and the exact command.
import { run } from './procs.ts';
import { writeState, type LabState } from './state.ts';
import type { Topology, TopoNode } from './topology.ts';

const ip = (ns: string, ...args: string[]) => run(null, 'ip', ['-n', ns, ...args]);

async function addNamespace(s: LabState, ns: string): Promise<void> {
  await run(null, 'ip', ['netns', 'add', ns]);
  s.namespaces.push(ns);
  writeState(s);
  await ip(ns, 'link', 'set', 'lo', 'up');
}

/** Namespaces for mgmt and every node, the mgmt bridge, and each node's eth0 on it. */
export async function buildManagement(topo: Topology, s: LabState): Promise<void> {
  await addNamespace(s, s.mgmtNs);
  for (const n of topo.nodes) await addNamespace(s, s.nodes[n.name]!.ns);
  const m = s.mgmtNs;
  await ip(m, 'link', 'add', s.mgmtBridge, 'type', 'bridge');
  await ip(m, 'addr', 'add', `${s.collector.address}/24`, 'dev', s.mgmtBridge);
  await ip(m, 'link', 'set', s.mgmtBridge, 'up');
  for (const n of topo.nodes) {
    const ns = s.nodes[n.name]!;
    await run(null, 'ip', ['link', 'add', 'name', 'eth0', 'netns', ns.ns, 'type', 'veth', 'peer', 'name', ns.mgmtPeer, 'netns', m]);
    await ip(m, 'link', 'set', ns.mgmtPeer, 'master', s.mgmtBridge, 'up');
    await ip(ns.ns, 'addr', 'add', `${ns.mgmtIp}/24`, 'dev', 'eth0');
    await ip(ns.ns, 'link', 'set', 'eth0', 'up');
  }
}

/** One veth pair per topology link; TX checksum offload off on both ends (OVS userspace datapath). */
export async function buildLinks(topo: Topology, s: LabState): Promise<void> {
  const done = new Set<string>();
  for (const n of topo.nodes) {
    for (const i of n.ifaces) {
      const key = [`${n.name}:${i.name}`, `${i.peer.node}:${i.peer.iface}`].sort().join('|');
      if (done.has(key)) continue;
      done.add(key);
      const peerNode = topo.nodes.find((x) => x.name === i.peer.node)!;
      const peerIf = peerNode.ifaces.find((x) => x.name === i.peer.iface)!;
      const a = s.nodes[n.name]!.ns,
        b = s.nodes[peerNode.name]!.ns;
      const args = ['link', 'add', 'name', i.name];
      if (i.mac) args.push('address', i.mac);
      args.push('netns', a, 'type', 'veth', 'peer', 'name', peerIf.name);
      if (peerIf.mac) args.push('address', peerIf.mac);
      args.push('netns', b);
      await run(null, 'ip', args);
      // Without this, TCP/UDP crossing OVS's userspace datapath carries bad checksums (LAB.md).
      await run(a, 'ethtool', ['-K', i.name, 'tx', 'off']);
      await run(b, 'ethtool', ['-K', peerIf.name, 'tx', 'off']);
    }
  }
}

/** Linux-bridge switches: br0 with the bridge ports. (OVS switches are built in ovs.ts.) */
export async function buildLinuxBridges(topo: Topology, s: LabState): Promise<void> {
  for (const n of topo.nodes) {
    if (n.role !== 'switch' || n.switchKind !== 'bridge') continue;
    const ns = s.nodes[n.name]!.ns;
    await ip(ns, 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of n.bridgePorts) await ip(ns, 'link', 'set', p, 'master', 'br0');
    await ip(ns, 'link', 'set', 'br0', 'up');
    if (n.bridgeIpv4) await ip(ns, 'addr', 'add', n.bridgeIpv4, 'dev', 'br0');
  }
}

/** Interface addresses, sysctls, links up. */
export async function configureInterfaces(topo: Topology, s: LabState): Promise<void> {
  for (const n of topo.nodes) {
    const ns = s.nodes[n.name]!.ns;
    if (n.ipForward) await run(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    if (n.sysctls.length) await run(ns, 'sysctl', ['-qw', ...n.sysctls]);
    if (n.role === 'host' && n.ifaces.length > 1) {
      // Several NICs in one subnet: answer ARP only on the NIC that owns the address.
      await run(ns, 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
    }
    for (const i of n.ifaces) {
      for (const a of i.ipv4) await ip(ns, 'addr', 'add', a, 'dev', i.name);
      await ip(ns, 'link', 'set', i.name, 'up');
    }
  }
}

export async function addRoutes(n: TopoNode, s: LabState): Promise<void> {
  const ns = s.nodes[n.name]!.ns;
  for (const r of n.routes) {
    const hops = r.via.length === 1 ? ['via', r.via[0]!] : r.via.flatMap((v) => ['nexthop', 'via', v]);
    await ip(ns, 'route', 'replace', r.dst, ...hops);
  }
}
