// The per-namespace daemons: snmpd (+ snmp-bridge-mib) on switches, lldpd everywhere, softflowd
// where a node asks for NetFlow/IPFIX. Each is started in the foreground and tracked by PID.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_COMMUNITY, lldpdConf, snmpdConf } from './configs.ts';
import { run, startDaemon, type TrackedProc } from './procs.ts';
import type { LabState } from './state.ts';
import type { TopoNode } from './topology.ts';
import { waitFor } from './wait.ts';

type Track = (p: TrackedProc) => void;

const dirs = (s: LabState) => ({ run: join(s.stateDir, 'run'), log: join(s.stateDir, 'log'), bin: join(s.stateDir, 'bin') });

export async function startSnmpd(n: TopoNode, s: LabState, track: Track): Promise<void> {
  const node = s.nodes[n.name]!;
  const d = dirs(s);
  const conf = join(d.run, `snmpd-${n.name}.conf`);
  // A persistent dir of its own: snmpd rewrites "snmpd.conf" there on exit (LAB.md addendum).
  const persist = join(d.run, `snmp-persist-${n.name}`);
  mkdirSync(persist, { recursive: true });
  writeFileSync(conf, snmpdConf(s, node));
  track(
    startDaemon(`snmpd-${n.name}`, node.ns, 'snmpd', ['-f', '-Lo', '-C', '-m', 'none', '-c', conf], join(d.log, `snmpd-${n.name}.log`), {
      ...process.env,
      SNMP_PERSISTENT_DIR: persist,
      MIBS: '',
    }),
  );
}

export async function waitAgentx(n: TopoNode, s: LabState): Promise<void> {
  const node = s.nodes[n.name]!;
  await waitFor(`snmpd AgentX socket in ${node.ns} (${node.agentxSocket})`, 10_000, () => existsSync(node.agentxSocket!));
}

// NET-SNMP-AGENT-MIB::nsCacheTimeout for ifTable (1.3.6.1.2.1.2.2).
const IFTABLE_CACHE_TIMEOUT = '1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2';

/**
 * snmpd caches ifTable for 3 s, and its DISMAN link monitor reads that cache: a link change
 * then left as a trap 0.1–2.7 s after `ip link set` (4 s at worst). A 1 s cache keeps it near
 * 1 s, inside the SNMP lab test's "≤ 3 s of the command" even on a loaded machine. snmpd.conf has no
 * directive for it, so it is set over SNMP from the switch's own loopback.
 */
export async function shortenIfTableCache(n: TopoNode, s: LabState): Promise<void> {
  const node = s.nodes[n.name]!;
  await waitFor(`snmpd in ${node.ns} to accept the ifTable cache timeout (snmpset on 127.0.0.1:${s.snmp.port})`, 10_000, async () => {
    const r = await run(
      node.ns,
      'snmpset',
      ['-v2c', '-c', CACHE_COMMUNITY, '-t', '1', '-r', '0', `127.0.0.1:${s.snmp.port}`, IFTABLE_CACHE_TIMEOUT, 'i', '1'],
      { allowFail: true },
    );
    return r.code === 0;
  });
}

/** BRIDGE-MIB (dot1dBase/dot1dTpFdb) for a Linux bridge, served by Debian's Perl AgentX subagent. */
export function startBridgeMib(n: TopoNode, s: LabState, track: Track): void {
  const node = s.nodes[n.name]!;
  const d = dirs(s);
  const confDir = join(d.run, `bridge-mib-${n.name}`);
  mkdirSync(confDir, { recursive: true });
  writeFileSync(join(confDir, 'dot1qbridge.conf'), `agentXSocket ${node.agentxSocket}\n`);
  track(
    startDaemon(`snmp-bridge-mib-${n.name}`, node.ns, 'snmp-bridge-mib', ['br0'], join(d.log, `snmp-bridge-mib-${n.name}.log`), {
      ...process.env,
      SNMPCONFPATH: confDir,
      MIBS: '',
    }),
  );
}

export function startLldpd(n: TopoNode, s: LabState, track: Track): void {
  const node = s.nodes[n.name]!;
  const d = dirs(s);
  mkdirSync('/run/lldpd', { recursive: true }); // lldpd's privsep chroot
  const ifaces = n.ifaces.map((i) => i.name);
  const conf = join(d.run, `lldpd-${n.name}.conf`);
  writeFileSync(conf, lldpdConf(node));
  const args = ['-d', '-u', node.lldpSocket, '-I', ifaces.join(','), '-C', ifaces.join(','), '-O', conf];
  if (node.agentxSocket) args.push('-x', '-X', node.agentxSocket);
  track(startDaemon(`lldpd-${n.name}`, node.ns, 'lldpd', args, join(d.log, `lldpd-${n.name}.log`)));
}

const here = dirname(fileURLToPath(import.meta.url));

/** Compiles the pcap immediate-mode shim into the state folder (once per lab). */
export async function buildPcapShim(s: LabState): Promise<string> {
  const d = dirs(s);
  mkdirSync(d.bin, { recursive: true });
  const so = join(d.bin, 'pcap-immediate.so');
  if (!existsSync(so)) await run(null, 'gcc', ['-shared', '-fPIC', '-O2', '-o', so, join(here, 'pcap-immediate.c'), '-ldl', '-lpcap']);
  return so;
}

/** One softflowd per NetFlow version (5, 9, 10 = IPFIX) — softflowd honours only one -n each. */
export function startSoftflowd(n: TopoNode, s: LabState, shim: string, track: Track): void {
  if (!n.netflow) return;
  const node = s.nodes[n.name]!;
  const d = dirs(s);
  const c = s.collector;
  for (const v of n.netflow.versions) {
    const port = v === 10 ? c.ipfixPort : c.netflowPort;
    const tag = `softflowd-v${v}-${n.name}`;
    track(
      startDaemon(
        tag,
        node.ns,
        'env',
        [
          `LD_PRELOAD=${shim}`,
          'softflowd',
          '-d',
          '-i',
          n.netflow.iface,
          '-v',
          String(v),
          '-n',
          `${c.address}:${port}`,
          '-t',
          'maxlife=10',
          '-t',
          'expint=1',
          '-t',
          'icmp=2',
          '-t',
          'udp=3',
          '-t',
          'tcp=10',
          '-t',
          'tcp.rst=2',
          '-t',
          'tcp.fin=2',
          '-t',
          'general=5',
          '-p',
          join(d.run, `${tag}.pid`),
          '-c',
          join(d.run, `${tag}.ctl`),
        ],
        join(d.log, `${tag}.log`),
      ),
    );
  }
}

export function softflowdCtls(n: TopoNode, s: LabState): string[] {
  return (n.netflow?.versions ?? []).map((v) => join(dirs(s).run, `softflowd-v${v}-${n.name}.ctl`));
}
