// Config files for the per-namespace daemons (snmpd, lldpd). Values come from the lab state so the
// tests can read the same credentials and addresses.
import type { LabState, NodeState } from './state.ts';

/** Write community for snmpd's cache timeouts only, from the switch's own loopback. */
export const CACHE_COMMUNITY = 'canopy-lab-cache';

/**
 * snmpd for one switch: v2c + v3 authPriv, AgentX master for lldpd (LLDP-MIB) and
 * snmp-bridge-mib (BRIDGE-MIB), and a DISMAN monitor polling ifOperStatus every second so
 * linkUp/linkDown traps leave within ~1 s (linkUpDownNotifications only polls every 60 s; the
 * ifTable cache that monitor reads is shortened at start-up, see shortenIfTableCache).
 */
export function snmpdConf(s: LabState, n: NodeState): string {
  const v3 = s.snmp.v3;
  const c = s.collector;
  return [
    `agentaddress udp:${n.mgmtIp}:${s.snmp.port},udp:127.0.0.1:${s.snmp.port}`,
    `sysName ${n.name}`,
    `sysLocation ${s.name}/${n.name}`,
    'sysContact lab@example.invalid',
    `sysDescr canopy lab ${n.switchKind === 'ovs' ? 'Open vSwitch (netdev)' : 'Linux bridge'} switch ${n.name}`,
    `rocommunity ${s.snmp.community} default`,
    // Write access to NET-SNMP-AGENT-MIB's cache timeouts only, from the switch itself: the lab
    // shortens the ifTable cache (3 s by default) so the 1 s link monitor sees a change within ~1 s.
    `rwcommunity ${CACHE_COMMUNITY} 127.0.0.1 .1.3.6.1.4.1.8072.1.5.3.1.2`,
    `createUser ${v3.user} ${v3.authProtocol} "${v3.authKey}" ${v3.privProtocol} "${v3.privKey}"`,
    `rouser ${v3.user} authpriv`,
    'createUser _internal SHA "internalpass1"',
    'rouser _internal',
    'iquerySecName _internal',
    'notificationEvent linkDownTrap .1.3.6.1.6.3.1.1.5.3 .1.3.6.1.2.1.2.2.1.1 .1.3.6.1.2.1.2.2.1.7 .1.3.6.1.2.1.2.2.1.8',
    'notificationEvent linkUpTrap .1.3.6.1.6.3.1.1.5.4 .1.3.6.1.2.1.2.2.1.1 .1.3.6.1.2.1.2.2.1.7 .1.3.6.1.2.1.2.2.1.8',
    'monitor -r 1 -e linkDownTrap "down" .1.3.6.1.2.1.2.2.1.8 == 2',
    'monitor -r 1 -e linkUpTrap "up" .1.3.6.1.2.1.2.2.1.8 == 1',
    `trap2sink ${c.address}:${c.trapPort} ${s.snmp.community}`,
    'master agentx',
    `agentXSocket ${n.agentxSocket}`,
    'agentXPerms 0660 0770',
    '',
  ].join('\n');
}

/**
 * lldpd commands for one node. Each lldpd needs its own hostname (no UTS namespace), a 1 s
 * transmit interval so tests converge quickly, and switches name ports by ifName (hosts keep the
 * default MAC port id, as real servers do).
 */
export function lldpdConf(n: NodeState): string {
  const lines = [
    `configure system hostname ${n.name}`,
    `configure system description "canopy lab ${n.role} ${n.name}"`,
    'configure lldp tx-interval 1',
    'configure lldp tx-hold 4',
    `configure system ip management pattern ${n.mgmtIp}`,
  ];
  if (n.role === 'switch') {
    lines.push('configure lldp portidsubtype ifname');
    lines.push(`configure system capabilities enabled bridge${n.bridgeIpv4 ? ',router' : ''}`);
  }
  return lines.join('\n') + '\n';
}
