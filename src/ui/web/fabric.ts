// A generated leaf/spine fabric with hosts (and optionally containers), as graph JSON. Used by
// the demo, the browser tests, the renderer measurement page and the UI bench. Pure: IDs come
// from the caller, so the collector side uses the UUIDv5 IDs of docs/architecture.md#identity and the browser plain ones.

export interface FabricIds {
  switch(name: string): string;
  port(switchId: string, ifIndex: number): string;
  host(name: string): string;
  iface(hostId: string, name: string): string;
  container(hostId: string, i: number): string;
  edge(parent: string, child: string, rel: string): string;
}

export const plainIds: FabricIds = {
  switch: (n) => `sw:${n}`,
  port: (s, i) => `${s}.p${i}`,
  host: (n) => `host:${n}`,
  iface: (h, n) => `${h}.${n}`,
  container: (h, i) => `${h}.c${i}`,
  edge: (p, c, r) => `${r}:${p}>${c}`,
};

export interface FabricSpec {
  spines: number;
  leaves: number;
  hosts: number;
  /** Hosts (the first ones) with a second NIC on the next leaf. */
  dualHomed: number;
  containersPerHost: number;
  /** Leave Metadata.Role out so the display has to infer it. */
  omitRoles?: boolean;
  speed?: number;
  /** Host names (default host-0001 …). */
  hostName?: (i: number) => string;
}

export interface Element {
  ID: string;
  Metadata: Record<string, unknown>;
  Parent?: string;
  Child?: string;
}

export interface Fabric {
  nodes: Element[];
  edges: Element[];
  /** Wired port pairs [switch port, peer], for flapping links in the demo and tests. */
  wires: { a: string; b: string; tier: 'spine-leaf' | 'leaf-host' }[];
  hosts: { id: string; name: string; mac: string; ip: string; tor: string }[];
  spineIds: string[];
  leafIds: string[];
}

function mac(n: number): string {
  const b = [0x02, 0x42, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function generateFabric(spec: FabricSpec, ids: FabricIds = plainIds): Fabric {
  const f: Fabric = { nodes: [], edges: [], wires: [], hosts: [], spineIds: [], leafIds: [] };
  const speed = spec.speed ?? 25e9;
  let macSeq = 1;
  const own = (p: string, c: string) =>
    f.edges.push({ ID: ids.edge(p, c, 'ownership'), Parent: p, Child: c, Metadata: { RelationType: 'ownership' } });
  const wire = (a: string, b: string, tier: 'spine-leaf' | 'leaf-host') => {
    f.edges.push({ ID: ids.edge(a, b, 'layer2'), Parent: a, Child: b, Metadata: { RelationType: 'layer2', Evidence: ['lldp-snmp'] } });
    f.wires.push({ a, b, tier });
  };
  const sw = (name: string, role: string, i: number) => {
    const id = ids.switch(name);
    f.nodes.push({
      ID: id,
      Metadata: {
        Type: 'switch',
        Name: name,
        ...(spec.omitRoles ? {} : { Role: role }),
        State: 'UP',
        MAC: mac(macSeq++),
        MgmtAddress: `192.0.2.${i + 1}`,
        Vendor: 'Canopy',
        Model: 'sim-48',
      },
    });
    return id;
  };
  const nextPort = new Map<string, number>();
  const port = (s: string) => {
    const i = (nextPort.get(s) ?? 0) + 1;
    nextPort.set(s, i);
    const id = ids.port(s, i);
    f.nodes.push({
      ID: id,
      Metadata: { Type: 'port', Name: `Ethernet${i}`, IfIndex: i, State: 'UP', Speed: speed, MAC: mac(macSeq++), MTU: 9216 },
    });
    own(s, id);
    return id;
  };
  for (let s = 0; s < spec.spines; s++) f.spineIds.push(sw(`spine-${String(s + 1).padStart(2, '0')}`, 'spine', s));
  for (let l = 0; l < spec.leaves; l++) f.leafIds.push(sw(`leaf-${String(l + 1).padStart(3, '0')}`, 'leaf', spec.spines + l));
  for (const l of f.leafIds) for (const s of f.spineIds) wire(port(s), port(l), 'spine-leaf');
  for (let h = 0; h < spec.hosts; h++) {
    const name = spec.hostName?.(h) ?? `host-${String(h + 1).padStart(4, '0')}`;
    const id = ids.host(name);
    f.nodes.push({ ID: id, Metadata: { Type: 'host', Name: name, OS: 'linux' } });
    const nics = h < spec.dualHomed ? 2 : 1;
    const li = spec.leaves > 0 ? h % spec.leaves : -1;
    for (let n = 0; n < nics; n++) {
      const ifId = ids.iface(id, `eth${n}`);
      const m = mac(macSeq++);
      const ip = `10.${(h >> 8) & 0xff}.${h & 0xff}.${10 + n}`;
      f.nodes.push({
        ID: ifId,
        Metadata: { Type: 'device', Name: `eth${n}`, State: 'UP', Speed: speed, MAC: m, MTU: 1500, IPV4: [`${ip}/24`] },
      });
      own(id, ifId);
      if (n === 0) f.hosts.push({ id, name, mac: m, ip, tor: li >= 0 ? f.leafIds[li]! : '' });
      if (li >= 0) wire(port(f.leafIds[(li + n) % spec.leaves]!), ifId, 'leaf-host');
    }
    for (let c = 0; c < spec.containersPerHost; c++) {
      const cid = ids.container(id, c);
      f.nodes.push({
        ID: cid,
        Metadata: { Type: 'container', Name: `${name}-app${c}`, Container: { Runtime: 'containerd', Image: 'app:1' } },
      });
      own(id, cid);
    }
  }
  return f;
}

/** The fabric the performance test and bench draw: 5,000 displayed nodes and 8,000 links. */
export const PERF_SPEC: FabricSpec = { spines: 8, leaves: 192, hosts: 4800, dualHomed: 1664, containersPerHost: 0 };
