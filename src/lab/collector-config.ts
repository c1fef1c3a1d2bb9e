// The collector config `canopy lab up` writes for its lab: every switch as an SNMP device with the
// lab snmpd's credentials, the trap listener where the lab's snmpd sends, the flow listeners where
// its exporters send, and a data dir inside the lab's state dir. Built from the same LabState the
// daemons' configs come from, so the two cannot disagree (`--collector`, `--*-port` included).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LabState } from './state.ts';
import type { Topology } from './topology.ts';

/** The API inside the mgmt namespace: its own loopback, so it never collides with the host's. */
export const LAB_API_LISTEN = '127.0.0.1:8082';

export function collectorConfigPath(s: LabState): string {
  return join(s.stateDir, 'collector.yml');
}

export function collectorDataDir(s: LabState): string {
  return join(s.stateDir, 'collector', 'data');
}

/** The config as an object (what `--print-config` would show before defaults are filled in). */
export function labCollectorConfig(s: LabState, topo: Topology): Record<string, unknown> {
  const c = s.collector;
  const v3 = s.snmp.v3;
  const switches = Object.values(s.nodes).filter((n) => n.role === 'switch');
  const hasSflow = topo.nodes.some((n) => n.sflow);
  const versions = new Set(topo.nodes.flatMap((n) => n.netflow?.versions ?? []));
  return {
    api: { listen: LAB_API_LISTEN },
    storage: { dataDir: collectorDataDir(s) },
    sflow: { enabled: hasSflow, listen: `${c.address}:${c.sflowPort}` },
    netflow: { enabled: versions.has(5) || versions.has(9), listen: `${c.address}:${c.netflowPort}` },
    ipfix: { enabled: versions.has(10), listen: `${c.address}:${c.ipfixPort}` },
    snmp: {
      // A lab of a few switches: poll often so LLDP neighbours and FDBs converge in seconds.
      counterInterval: '10s',
      lldpInterval: '10s',
      fdbInterval: '30s',
      timeout: '1s',
      retries: 1,
      // The lab's snmpd answers both; devices below use v3, the v2c entry is there for `version: "2c"`.
      credentials: [
        {
          subnet: s.mgmtSubnet,
          version: '3',
          user: v3.user,
          authProtocol: v3.authProtocol.toLowerCase(),
          authKey: v3.authKey,
          privProtocol: v3.privProtocol.toLowerCase(),
          privKey: v3.privKey,
        },
        { subnet: s.mgmtSubnet, version: '2c', community: s.snmp.community },
      ],
      devices: switches.map((n) => ({ address: n.mgmtIp, port: s.snmp.port, version: '3', name: n.name })),
      // snmpd's trap2sink points here (v2c, the read community).
      traps: { listen: `${c.address}:${c.trapPort}`, communities: [s.snmp.community] },
    },
  };
}

export function labCollectorConfigText(s: LabState, topo: Topology): string {
  const exporters = topo.nodes.flatMap((n) => [
    ...(n.sflow ? [`${n.name} sFlow → ${s.collector.address}:${s.collector.sflowPort}`] : []),
    ...(n.netflow?.versions ?? []).map(
      (v) =>
        `${n.name} ${v === 10 ? 'IPFIX' : `NetFlow v${v}`} → ${s.collector.address}:${v === 10 ? s.collector.ipfixPort : s.collector.netflowPort}`,
    ),
  ]);
  const head = [
    `Canopy collector config for lab "${s.name}" (namespaces ${s.prefix}*), written by \`canopy lab up\`.`,
    `Start it in the lab's management namespace, where every switch and exporter is reachable:`,
    `  ${startCommand(s)}`,
    `Switches (SNMP v3 authPriv and v2c, traps v2c to ${s.collector.address}:${s.collector.trapPort}): ${Object.values(s.nodes)
      .filter((n) => n.role === 'switch')
      .map((n) => `${n.name} ${n.mgmtIp}`)
      .join(', ')}`,
    `Exporters: ${exporters.join('; ') || 'none'}`,
    `Reference of every key: docs/configuration.md`,
  ];
  return `${head.map((l) => `# ${l}`).join('\n')}\n${stringify(labCollectorConfig(s, topo))}`;
}

export function writeLabCollectorConfig(s: LabState, topo: Topology): string {
  const file = collectorConfigPath(s);
  writeFileSync(file, labCollectorConfigText(s, topo));
  return file;
}

export function startCommand(s: LabState): string {
  return `sudo ip netns exec ${s.mgmtNs} node bin/canopy.js collector --config ${collectorConfigPath(s)}`;
}

/** What `lab up` prints once the lab is ready: how to run the collector and open the wall. */
export function labHints(s: LabState, file: string, sameOptions: string[] = []): string[] {
  const api = LAB_API_LISTEN;
  const opts = sameOptions.length ? ` ${sameOptions.join(' ')}` : '';
  return [
    `collector config: ${collectorConfigPath(s)}`,
    `start the collector (in the lab's management namespace):`,
    `  ${startCommand(s)}`,
    `open the wall from the host — forward a host port into the namespace, then browse http://127.0.0.1:8082/ :`,
    `  sudo node bin/canopy.js lab forward ${file}${opts} --listen 127.0.0.1:8082`,
    `or run a browser inside the namespace:`,
    `  sudo ip netns exec ${s.mgmtNs} chromium --no-sandbox --user-data-dir=/tmp/canopy-lab-browser http://${api}/`,
    `ask it from a shell: sudo ip netns exec ${s.mgmtNs} curl -s http://${api}/api/status`,
  ];
}
