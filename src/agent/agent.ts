// The host agent (docs/architecture.md#agent): watches interfaces in every reported netns,
// containers, sockets and LLDP, rebuilds its sub-graph on each change and sends the difference to
// the collector (a full Sync on every connection). One rebuild per burst of changes.
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../util/log.ts';
import { RateLimitedLog } from '../util/log.ts';
import type { AgentConfig } from './config.ts';
import { hostFacts, type HostFacts } from './host-facts.ts';
import { listNamespaces, type NsRef } from './netlink/namespaces.ts';
import { NsWatch, dumpNs } from './netlink/ns-watch.ts';
import { buildGraph, hostIdOf, nextCounters, type NsSnapshot, type SubGraph } from './graph/build.ts';
import { diffGraphs, emptyGraph, type GraphEventOut } from './graph/diff.ts';
import { AgentConnection } from './connection/client.ts';
import { DockerSource } from './containers/docker.ts';
import { listRunc } from './containers/runc.ts';
import type { ContainerInfo } from './containers/types.ts';
import { SocketOwnerCache, readNetnsSockets, withOwners } from './sockets/proc-sockets.ts';
import { readLldp, type LldpChassis, type LldpNeighbourInfo } from './lldp/lldpcli.ts';
import { OvsdbRelay } from './ovsdb/relay.ts';
import { AgentCaptures } from './capture/agent-capture.ts';
import { AgentK8sProbe } from './k8s/probe.ts';

/**
 * Messages the collector may send an agent, by `Type`: `OvsdbRelayOpen` (the OVSDB relay) and
 * `CaptureSet` (the port-mirror captures this host should run, src/agent/capture/).
 */
export type ControlHandler = (obj: unknown, reply: (type: string, obj: unknown) => void) => void;

export interface AgentOptions {
  config: AgentConfig;
  log: Logger;
  version?: string;
  /** Called after each graph change is sent (tests, bench). */
  onChange?: (events: GraphEventOut[]) => void;
}

export class Agent {
  readonly facts: HostFacts;
  readonly hostId: string;
  readonly connection: AgentConnection;
  readonly relay: OvsdbRelay;
  readonly captures: AgentCaptures;
  /** The Kubernetes probe, when `agent.k8s.kubeconfig` is set. */
  readonly k8s: AgentK8sProbe | undefined;
  readonly control = new Map<string, ControlHandler>();
  private readonly cfg: AgentConfig;
  private readonly log: Logger;
  private readonly warn: RateLimitedLog;
  private readonly watches = new Map<string, NsWatch>();
  private readonly ns = new Map<string, NsSnapshot>();
  private rootName: string | undefined;
  private containers: ContainerInfo[] = [];
  private lldp: { chassis?: LldpChassis; neighbours: LldpNeighbourInfo[] } | undefined;
  private current: SubGraph = emptyGraph();
  private rebuildQueued = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private dirWatch: FSWatcher | undefined;
  private docker: DockerSource | undefined;
  private stopped = false;
  private readonly owners = new SocketOwnerCache();
  private readonly socketsJson = new Map<string, string>();
  readonly stats = { rebuilds: 0, events: 0, dumpErrors: 0, skippedRecords: 0 };

  constructor(private readonly opts: AgentOptions) {
    this.cfg = opts.config;
    this.log = opts.log;
    this.warn = new RateLimitedLog(opts.log);
    this.facts = hostFacts({ hostname: this.cfg.hostname, machineId: this.cfg.machineId });
    this.hostId = hostIdOf(this.facts);
    this.connection = new AgentConnection(
      {
        url: this.cfg.collector,
        token: this.cfg.token,
        hostId: this.facts.name,
        reconnectMinMs: this.cfg.reconnect.min * 1000,
        reconnectMaxMs: this.cfg.reconnect.max * 1000,
        bufferSize: this.cfg.bufferSize,
        current: () => this.current,
        onControl: (type, obj) => this.onControl(type, obj),
      },
      opts.log.child({ part: 'connection' }),
    );
    this.relay = new OvsdbRelay(
      { collectorUrl: this.cfg.collector, token: this.cfg.token, hostId: this.facts.name, endpoint: this.cfg.ovsdb },
      opts.log.child({ part: 'ovsdb-relay' }),
    );
    const k = this.cfg.k8s;
    this.k8s = k.kubeconfig
      ? new AgentK8sProbe({ ...k, kubeconfig: k.kubeconfig }, opts.log.child({ part: 'k8s' }), () => this.schedule())
      : undefined;
    this.control.set('OvsdbRelayOpen', (obj, reply) =>
      this.relay.handle(obj, (Session, Error) => reply('OvsdbRelayError', { Session, Error })),
    );
    // Port-mirror captures: agent.capture, plus what the collector asks for (/api/capture).
    this.captures = new AgentCaptures(
      { hostId: this.hostId, cfg: this.cfg, send: (t, o) => this.connection.control(t, o) },
      opts.log.child({ part: 'capture' }),
    );
    this.control.set('CaptureSet', (obj) => this.captures.set(obj));
  }

  private onControl(type: string, obj: unknown): void {
    const h = this.control.get(type);
    if (h) h(obj, (t, o) => this.connection.control(t, o));
  }

  /** Reads everything once, connects (the first Sync is complete), then follows changes. */
  async start(): Promise<void> {
    await this.rescanNamespaces();
    await Promise.all([this.readContainers(), this.readSockets(), this.readLldp(), this.readCounters()]);
    this.current = this.build();
    this.connection.start();
    this.captures.start();
    // Its objects follow as increments (the first flush comes once the lists are in).
    await this.k8s?.start();
    const every = (s: number, fn: () => Promise<void>) => {
      const t = setInterval(
        () => void fn().catch((e) => this.warn.warn('timer', { err: (e as Error).message }, 'agent read failed')),
        s * 1000,
      );
      t.unref();
      this.timers.push(t);
    };
    every(this.cfg.interfaces.countersInterval, () => this.readCounters().then(() => this.schedule()));
    if (this.cfg.sockets.enabled)
      every(this.cfg.sockets.interval, async () => {
        // Process-held namespaces and runc containers come and go with processes: same cadence.
        if (this.cfg.netns.processes) await this.rescanNamespaces();
        await Promise.all([this.readSockets(), this.readContainers()]);
        this.schedule();
      });
    else every(10, () => this.rescanNamespaces().then(() => this.readContainers().then(() => this.schedule())));
    if (this.cfg.lldp.enabled) every(this.cfg.lldp.interval, () => this.readLldp().then(() => this.schedule()));
    try {
      this.dirWatch = watch(this.cfg.netns.dir, () => void this.rescanNamespaces().then(() => this.schedule()));
      this.dirWatch.on('error', () => {});
    } catch {
      // no /run/netns yet: the periodic rescan finds namespaces created later
    }
    if (this.cfg.docker.enabled) {
      this.docker = new DockerSource(this.cfg.docker.socket, () => void this.readContainers().then(() => this.schedule()), this.log);
      this.docker.follow();
    }
  }

  private build(): SubGraph {
    const g = this.buildHost();
    if (this.k8s) {
      for (const [id, n] of this.k8s.nodes) g.nodes.set(id, n);
      for (const [id, e] of this.k8s.edges) g.edges.set(id, e);
    }
    return g;
  }

  private buildHost(): SubGraph {
    const namespaces = [...this.ns.values()].sort((a, b) =>
      a.ref.kind === 'root' ? -1 : b.ref.kind === 'root' ? 1 : a.ref.key.localeCompare(b.ref.key),
    );
    return buildGraph({
      host: this.facts,
      netnsDir: this.cfg.netns.dir,
      ...(this.rootName !== undefined ? { rootName: this.rootName } : {}),
      namespaces,
      containers: this.containers,
      ...(this.lldp ? { lldp: this.lldp } : {}),
      ...(this.opts.version ? { agentVersion: this.opts.version } : {}),
    });
  }

  /** Coalesces changes: one rebuild and one diff per tick. */
  schedule(): void {
    if (this.rebuildQueued || this.stopped) return;
    this.rebuildQueued = true;
    setImmediate(() => {
      this.rebuildQueued = false;
      const next = this.build();
      const events = diffGraphs(this.current, next);
      this.current = next;
      this.stats.rebuilds++;
      if (events.length === 0) return;
      this.stats.events += events.length;
      this.connection.send(events);
      this.opts.onChange?.(events);
    });
  }

  private async dump(ref: NsRef): Promise<void> {
    try {
      const d = await dumpNs(ref);
      this.stats.skippedRecords += d.skipped;
      const prev = this.ns.get(ref.key);
      if (!this.watches.has(ref.key) && ref.kind !== 'root') return; // removed meanwhile
      const snap: NsSnapshot = { ref, ifaces: d.ifaces, nsIds: d.nsIds };
      if (prev?.counters) snap.counters = prev.counters;
      if (prev?.sockets) snap.sockets = prev.sockets;
      this.ns.set(ref.key, snap);
    } catch (e) {
      this.stats.dumpErrors++;
      this.warn.warn(`dump:${ref.key}`, { ns: ref.key, err: (e as Error).message }, 'could not read interfaces');
    }
  }

  private onNsChange = (ref: NsRef): void => {
    void this.dump(ref).then(() => this.schedule());
  };

  async rescanNamespaces(): Promise<void> {
    const { root, others, rootName } = listNamespaces({
      dir: this.cfg.netns.dir,
      match: this.cfg.netns.match ? new RegExp(this.cfg.netns.match) : null,
      processes: this.cfg.netns.processes,
      max: this.cfg.netns.max,
    });
    this.rootName = rootName;
    const want = new Map<string, NsRef>([[root.key, root], ...others.map((o) => [o.key, o] as const)]);
    const added: NsRef[] = [];
    for (const [key, ref] of want) {
      const w = this.watches.get(key);
      // Same key, different inode: the name was reused for a new namespace.
      if (w && w.ns.inode === ref.inode) continue;
      w?.stop();
      const nw = new NsWatch(ref, this.onNsChange, this.cfg.interfaces.debounceMs, this.log);
      this.watches.set(key, nw);
      nw.start();
      added.push(ref);
    }
    for (const [key, w] of this.watches) {
      if (want.has(key)) continue;
      w.stop();
      this.watches.delete(key);
      this.ns.delete(key);
      this.socketsJson.delete(key);
    }
    await Promise.all(added.map((r) => this.dump(r)));
  }

  private async readCounters(): Promise<void> {
    const at = Date.now();
    await Promise.all(
      [...this.watches.values()].map(async (w) => {
        const snap = this.ns.get(w.ns.key);
        if (!snap) return;
        snap.counters = nextCounters(snap.counters, await w.counters(), at);
      }),
    );
  }

  private readSockets(): Promise<void> {
    if (!this.cfg.sockets.enabled) return Promise.resolve();
    const per = [...this.watches.values()].map((w) => {
      const pid = w.anchorPid();
      return [w.ns.key, pid === undefined ? [] : readNetnsSockets(w.ns.kind === 'root' ? 'self' : pid)] as const;
    });
    const inodes = new Set<number>();
    for (const [, list] of per) for (const s of list) if (s.inode) inodes.add(s.inode);
    const owners = this.owners.resolve(inodes);
    for (const [key, list] of per) {
      const snap = this.ns.get(key);
      if (!snap) continue;
      // The same list keeps the same array, so the graph diff skips it without serialising it.
      const next = withOwners(list, owners, this.cfg.sockets.max);
      const json = JSON.stringify(next);
      if (this.socketsJson.get(key) !== json || !snap.sockets) {
        snap.sockets = next;
        this.socketsJson.set(key, json);
      }
    }
    return Promise.resolve();
  }

  private async readContainers(): Promise<void> {
    const fromDocker = this.docker ? await this.docker.list() : [];
    this.containers = [...fromDocker, ...listRunc(this.cfg.runc.dirs)];
  }

  private async readLldp(): Promise<void> {
    if (!this.cfg.lldp.enabled) return;
    try {
      this.lldp = await readLldp(this.cfg.lldp.socket);
    } catch (e) {
      // lldpd not running (stopped, crashed): it sees no neighbours now, so none are reported —
      // keeping the last ones would keep claiming links nobody confirms. The chassis stays: it is
      // this host's identity for switches' LLDP rows, not a claim about a link.
      if (this.lldp?.neighbours.length) this.lldp = this.lldp.chassis ? { chassis: this.lldp.chassis, neighbours: [] } : undefined;
      this.warn.warn('lldp', { err: (e as Error).message }, 'lldpcli failed');
    }
  }

  status(): Record<string, unknown> {
    return {
      host: this.facts.name,
      hostId: this.hostId,
      connected: this.connection.connected,
      namespaces: this.watches.size,
      nodes: this.current.nodes.size,
      edges: this.current.edges.size,
      ...(this.k8s ? { k8s: this.k8s.status() } : {}),
      ...this.stats,
      connection: this.connection.stats,
      captures: this.captures.status(),
    };
  }

  graph(): SubGraph {
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.dirWatch?.close();
    this.docker?.stop();
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    this.relay.stop();
    // Before the connection closes: the engines' last export still reaches the collector.
    this.captures.stop();
    await this.k8s?.stop();
    await this.connection.stop();
  }
}
