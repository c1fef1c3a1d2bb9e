// What the namespace lab needs on this machine; the answer names the Debian package to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const COMMANDS: [string, string][] = [
  ['ip', 'iproute2'],
  ['ethtool', 'ethtool'],
  ['ping', 'iputils-ping'],
  ['lldpd', 'lldpd'],
  ['lldpcli', 'lldpd'],
  ['snmpd', 'snmpd'],
  ['snmpwalk', 'snmp'],
  ['snmpset', 'snmp'],
  ['snmp-bridge-mib', 'snmp'],
  ['ovsdb-server', 'openvswitch-switch'],
  ['ovs-vswitchd', 'openvswitch-switch'],
  ['ovs-vsctl', 'openvswitch-common'],
  ['ovsdb-tool', 'openvswitch-common'],
  ['softflowd', 'softflowd'],
  ['softflowctl', 'softflowd'],
  ['gcc', 'build-essential'],
];

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => d && existsSync(`${d}/${cmd}`));
}

/** Missing prerequisites as human-readable reasons (empty when the lab can run). */
export function labMissing(): string[] {
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push('must run as root (network namespaces)');
  const pkgs = new Set<string>();
  for (const [cmd, pkg] of COMMANDS) if (!onPath(cmd)) pkgs.add(pkg);
  if (!existsSync('/usr/include/pcap/pcap.h')) pkgs.add('libpcap-dev');
  if (!existsSync('/usr/share/openvswitch/vswitch.ovsschema')) pkgs.add('openvswitch-common');
  if (onPath('perl')) {
    try {
      execFileSync('perl', ['-MNetSNMP::agent', '-e', '1'], { stdio: 'ignore' });
    } catch {
      pkgs.add('libsnmp-perl');
    }
  }
  if (pkgs.size) out.push(`missing Debian packages: ${[...pkgs].join(' ')} (run: bash scripts/install-test-deps.sh)`);
  return out;
}
