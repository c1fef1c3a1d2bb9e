// A real Open vSwitch for tests: ovsdb-server + ovs-vswitchd (userspace netdev datapath, no kernel
// module) in a network namespace of its own, state in a temp dir, a veth into the root namespace
// so an in-process collector reaches OVSDB over TCP and receives the sFlow OVS sends. Everything is
// removed in stop(): processes by PID, the namespaces, the veth, the temp dir.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startDaemon, stopPids, type TrackedProc } from '../../src/lab/procs.ts';
import { waitFor } from '../../src/lab/wait.ts';

export interface OvsPeer {
  ns: string;
  dir: string;
  unix: string;
  /** tcp:IP:6640 reachable from the root namespace. */
  tcp: string;
  /** ssl:IP:6643 when started with ssl. */
  ssl: string;
  rootIp: string;
  nsIp: string;
  vsctl(...args: string[]): Promise<string>;
  /** SIGKILLs ovsdb-server (ovs-vswitchd keeps running and reconnects). */
  killServer(): Promise<void>;
  startServer(): Promise<void>;
  /** A host namespace cabled to bridge `br` through a veth; returns the host side's namespace. */
  addHost(br: string, name: string, ip: string): Promise<string>;
  exec(ns: string | null, cmd: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

let seq = 0;

export function ovsMissing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const b of ['/usr/sbin/ovsdb-server', '/usr/sbin/ovs-vswitchd', '/usr/bin/ovs-vsctl'])
    if (!existsSync(b)) return `${b} missing (Debian package openvswitch-switch)`;
  return null;
}

export async function startOvsPeer(opts: {
  systemId: string;
  hostname: string;
  vswitchd?: boolean;
  clustered?: boolean;
  /** PEM files: the server also listens on ssl:<nsIp>:6643 with them. */
  ssl?: { key: string; cert: string; ca: string };
}): Promise<OvsPeer> {
  const id = `${process.pid.toString(36)}${(seq++).toString(36)}`;
  const ns = `cnpovs-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'canopy-ovs-'));
  const unix = join(dir, 'db.sock');
  // A /30 per peer in 169.254/16 (link-local: no route outside this machine), unique per pid.
  const b = 256 + ((process.pid * 8 + seq * 4) % 64000);
  const base = `169.254.${b >> 8}.${b & 0xfc}`;
  const [o1, o2, o3] = base.split('.');
  const rootIp = `${o1}.${o2}.${o3}.${(b & 0xfc) + 1}`;
  const nsIp = `${o1}.${o2}.${o3}.${(b & 0xfc) + 2}`;
  const vr = `cov${id}r`.slice(0, 15),
    vn = `cov${id}n`.slice(0, 15);
  const procs: TrackedProc[] = [];
  const hostNs: string[] = [];
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
  let server: TrackedProc | null = null;

  const exec = async (n: string | null, cmd: string, args: string[]) => (await run(n, cmd, args, { env })).stdout;
  const vsctl = (...args: string[]) => exec(null, 'ovs-vsctl', [`--db=unix:${unix}`, '--timeout=10', ...args]);

  const startServer = async () => {
    server = startDaemon(
      'ovsdb-server',
      ns,
      'ovsdb-server',
      [
        join(dir, 'conf.db'),
        `--remote=punix:${unix}`,
        `--remote=ptcp:6640:${nsIp}`,
        ...(opts.ssl
          ? [`--remote=pssl:6643:${nsIp}`, `--private-key=${opts.ssl.key}`, `--certificate=${opts.ssl.cert}`, `--ca-cert=${opts.ssl.ca}`]
          : []),
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
        '-vconsole:off',
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
      ],
      join(dir, 'ovsdb-server.out'),
      env,
    );
    procs.push(server);
    await waitFor(
      'ovsdb-server socket',
      10_000,
      async () =>
        existsSync(unix) &&
        (await run(null, 'ovs-vsctl', [`--db=unix:${unix}`, '--timeout=1', 'show'], { allowFail: true, env })).code === 0,
    );
  };

  const peer: OvsPeer = {
    ns,
    dir,
    unix,
    tcp: `tcp:${nsIp}:6640`,
    ssl: `ssl:${nsIp}:6643`,
    rootIp,
    nsIp,
    vsctl,
    exec: (n, cmd, args) => exec(n, cmd, args),
    async killServer() {
      if (server) await stopPids([{ ...server, fast: true }], 2000);
      server = null;
      rmSync(unix, { force: true });
    },
    startServer,
    async addHost(br, name, ip) {
      const hns = `${ns}-${name}`.slice(0, 30);
      hostNs.push(hns);
      const a = `${name}${id}a`.slice(0, 15),
        h = `${name}${id}h`.slice(0, 15);
      await exec(null, 'ip', ['netns', 'add', hns]);
      await exec(null, 'ip', ['link', 'add', 'name', a, 'netns', ns, 'type', 'veth', 'peer', 'name', h, 'netns', hns]);
      await exec(ns, 'ip', ['link', 'set', a, 'up']);
      await exec(hns, 'ip', ['link', 'set', h, 'up']);
      await exec(hns, 'ip', ['link', 'set', 'lo', 'up']);
      await exec(hns, 'ip', ['addr', 'add', ip, 'dev', h]);
      await vsctl('add-port', br, a);
      return hns;
    },
    async stop() {
      await stopPids(procs, 3000);
      for (const h of hostNs) await run(null, 'ip', ['netns', 'del', h], { allowFail: true });
      await run(null, 'ip', ['link', 'del', vr], { allowFail: true });
      await run(null, 'ip', ['netns', 'del', ns], { allowFail: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await exec(null, 'ip', ['netns', 'add', ns]);
    await exec(null, 'ip', ['link', 'add', 'name', vr, 'type', 'veth', 'peer', 'name', vn, 'netns', ns]);
    await exec(null, 'ip', ['addr', 'add', `${rootIp}/30`, 'dev', vr]);
    await exec(null, 'ip', ['link', 'set', vr, 'up']);
    await exec(ns, 'ip', ['addr', 'add', `${nsIp}/30`, 'dev', vn]);
    await exec(ns, 'ip', ['link', 'set', vn, 'up']);
    await exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    // A one-server cluster keeps transaction history, so monitor_cond_since can resume (found=true);
    // its raft port is on the namespace's own loopback.
    if (opts.clustered)
      await exec(null, 'ovsdb-tool', [
        'create-cluster',
        join(dir, 'conf.db'),
        '/usr/share/openvswitch/vswitch.ovsschema',
        'tcp:127.0.0.1:6641',
      ]);
    else await exec(null, 'ovsdb-tool', ['create', join(dir, 'conf.db'), '/usr/share/openvswitch/vswitch.ovsschema']);
    await startServer();
    await vsctl(
      '--no-wait',
      'init',
      '--',
      'set',
      'open_vswitch',
      '.',
      `external_ids:system-id=${opts.systemId}`,
      `external_ids:hostname=${opts.hostname}`,
    );
    if (opts.vswitchd !== false) {
      procs.push(
        startDaemon(
          'ovs-vswitchd',
          ns,
          'ovs-vswitchd',
          [`unix:${unix}`, `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`, '-vconsole:off', `--log-file=${join(dir, 'ovs-vswitchd.log')}`],
          join(dir, 'ovs-vswitchd.out'),
          env,
        ),
      );
      await waitFor('ovs-vswitchd', 10_000, () => existsSync(join(dir, 'ovs-vswitchd.ctl')));
    }
  } catch (e) {
    await peer.stop();
    throw e;
  }
  return peer;
}
