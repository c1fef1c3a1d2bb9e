// Open vSwitch per node: its own ovsdb-server + ovs-vswitchd (userspace `netdev` datapath, no
// kernel module), both in the foreground so the PID we track is the daemon's own.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, startDaemon } from './procs.ts';
import type { LabState } from './state.ts';
import type { TopoNode } from './topology.ts';
import { waitFor } from './wait.ts';

function vsctl(dbSock: string, ...args: string[]) {
  return run(null, 'ovs-vsctl', [`--db=unix:${dbSock}`, '--timeout=15', ...args]);
}

export async function startOvs(n: TopoNode, s: LabState, track: (p: ReturnType<typeof startDaemon>) => void): Promise<void> {
  const node = s.nodes[n.name]!;
  const dir = node.ovsRun!,
    db = node.ovsdbSocket!;
  const log = join(s.stateDir, 'log');
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: log };
  await run(null, 'ovsdb-tool', ['create', join(dir, 'conf.db'), '/usr/share/openvswitch/vswitch.ovsschema']);
  track(
    startDaemon(
      `ovsdb-server-${n.name}`,
      node.ns,
      'ovsdb-server',
      [
        join(dir, 'conf.db'),
        `--remote=punix:${db}`,
        `--remote=ptcp:6640:${node.mgmtIp}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
        '-vconsole:off',
        `--log-file=${join(log, `ovsdb-server-${n.name}.log`)}`,
      ],
      join(log, `ovsdb-server-${n.name}.out`),
      env,
    ),
  );
  await waitFor(`ovsdb-server socket in ${node.ns}`, 10_000, () => existsSync(db));
  await vsctl(db, '--no-wait', 'init');
  track(
    startDaemon(
      `ovs-vswitchd-${n.name}`,
      node.ns,
      'ovs-vswitchd',
      [
        `unix:${db}`,
        `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`,
        '-vconsole:off',
        `--log-file=${join(log, `ovs-vswitchd-${n.name}.log`)}`,
      ],
      join(log, `ovs-vswitchd-${n.name}.out`),
      env,
    ),
  );
}

async function bridgeUp(ns: string, br: string, ipv4: string | undefined): Promise<void> {
  // The netdev datapath creates the bridge's internal port as a tap device; wait for it.
  await waitFor(
    `OVS internal port ${br} in ${ns}`,
    10_000,
    async () => (await run(null, 'ip', ['-n', ns, 'link', 'show', br], { allowFail: true })).code === 0,
  );
  await run(null, 'ip', ['-n', ns, 'link', 'set', br, 'up']);
  await run(ns, 'ethtool', ['-K', br, 'tx', 'off'], { allowFail: true });
  if (ipv4) await run(null, 'ip', ['-n', ns, 'addr', 'add', ipv4, 'dev', br]);
}

/** br0 of an OVS switch, or the bridges/patches/VXLAN ports of an OVS hypervisor layout. */
export async function configureOvs(n: TopoNode, s: LabState): Promise<void> {
  const node = s.nodes[n.name]!;
  const db = node.ovsdbSocket!;
  const bridges = n.ovs ? n.ovs.bridges : [{ name: 'br0', ports: n.bridgePorts, ipv4: n.bridgeIpv4 }];
  for (const b of bridges) {
    const args = ['--may-exist', 'add-br', b.name, '--', 'set', 'bridge', b.name, 'datapath_type=netdev'];
    for (const p of b.ports) args.push('--', '--may-exist', 'add-port', b.name, p);
    await vsctl(db, ...args);
  }
  for (const p of n.ovs?.patches ?? []) {
    await vsctl(
      db,
      'add-port',
      p.a.bridge,
      p.a.port,
      '--',
      'set',
      'interface',
      p.a.port,
      'type=patch',
      `options:peer=${p.b.port}`,
      '--',
      'add-port',
      p.b.bridge,
      p.b.port,
      '--',
      'set',
      'interface',
      p.b.port,
      'type=patch',
      `options:peer=${p.a.port}`,
    );
  }
  for (const v of n.ovs?.vxlans ?? []) {
    const opts = [`options:remote_ip=${v.remote}`];
    if (v.key !== undefined) opts.push(`options:key=${v.key}`);
    await vsctl(db, 'add-port', v.bridge, v.port, '--', 'set', 'interface', v.port, 'type=vxlan', ...opts);
  }
  if (n.sflow) {
    const c = s.collector;
    const args = [
      '--',
      '--id=@s',
      'create',
      'sflow',
      'agent=eth0',
      'header=128',
      'sampling=1',
      'polling=1',
      `targets="${c.address}:${c.sflowPort}"`,
    ];
    for (const b of bridges) args.push('--', 'set', 'bridge', b.name, 'sflow=@s');
    await vsctl(db, ...args);
  }
  for (const b of bridges) await bridgeUp(node.ns, b.name, b.ipv4);
}
