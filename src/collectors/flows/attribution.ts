// Flow and counter attribution (docs/architecture.md#identity, #flows): exporter address → device node (a polled switch
// whose management address it is, else an `exporter` node of its own) → port node by ifIndex.
// Later discriminators go into the alias table; when a polled switch turns up for an exporter
// node, the exporter merges into it.
//
// Identities move while flows stream in: the stitcher folds a placeholder switch into the polled
// one, SNMP folds a flow-made port into its own, we fold an exporter node into its switch. The
// pipeline hands every deleted node from the change feed to forget(), so the caches never give out
// a merged-away ID; a write that still meets one (deleted between two feeds) re-resolves through
// the alias table and is retried once. Lookups stay in memory on the hot path: SQLite is asked only
// on a cache miss.
import type { GraphStore, GraphTx } from '../../topology/store/graph-store.ts';
import { placeholderName, type NameSource } from '../common/port-name.ts';
import { GraphIntegrityError } from '../../topology/store/sqlite-store.ts';
import { canonicalId, mergeNodes } from '../../topology/merge.ts';
import { ids } from '../../topology/ids.ts';
import type { Logger } from '../../util/log.ts';
import type { Attributed } from './flow-table.ts';

const RECHECK_MS = 30_000;
/** A datapath ID no bridge carries yet (OVSDB not synced) is looked up again after this long. */
const DATAPATH_RETRY_MS = 2000;

export interface DeviceRef {
  id: string;
  /** True for an exporter node (no SNMP knowledge of this device yet). */
  exporterOnly: boolean;
  checkedAt: number;
}

/** A cached device with its port map found once (portsGen says whether that map is still current). */
interface Cached extends DeviceRef {
  ports: Map<number, string> | undefined;
  portsGen: number;
}

export class Attribution {
  /**
   * Exporter address → sub-agent → device: a string and a number lookup per record, no key text
   * built per record (a concatenated key costs its flattening and hashing on every call).
   */
  private readonly devices = new Map<string, Map<number, Cached>>();
  /** deviceId → ifIndex → port ID of ports known to exist (UUIDv5 is too slow per record). */
  private readonly knownPorts = new Map<string, Map<number, string>>();
  private portsCheckedAt = 0;
  /** Bumped whenever knownPorts loses or gains a device's map: a Cached's `ports` is then looked up again. */
  private portsGen = 0;
  /** The last device looked up (a datagram's records share it), valid while `devicesGen` is unchanged. */
  private lastAddr: string | undefined;
  private lastSub = 0;
  private lastDev: Cached | undefined;
  private lastGen = -1;
  /** Bumped whenever a cached device is dropped. */
  private devicesGen = 0;

  constructor(
    private readonly store: GraphStore,
    private readonly origin: string,
    private readonly log: Logger,
  ) {}

  private aliasKey(addr: string, sub: number): string {
    return `exporter:${addr}:${sub}`;
  }

  /** Device and in/out port nodes of one flow (the flow table asks once per entry). */
  attribute(addr: string, sub: number, inIf: number | undefined, outIf: number | undefined, now: number): Attributed {
    // One clock read for both ports (the port map's recheck runs on the wall clock, not `now`).
    const wall = Date.now();
    let dev: Cached;
    let inPortId: string | null;
    let outPortId: string | null;
    try {
      dev = this.device(addr, sub, now);
      inPortId = this.port(dev, inIf, wall);
      outPortId = this.port(dev, outIf, wall);
    } catch (err) {
      this.stale(addr, sub, err);
      dev = this.device(addr, sub, now);
      inPortId = this.port(dev, inIf, wall);
      outPortId = this.port(dev, outIf, wall);
    }
    return { deviceId: dev.id, inPortId, outPortId };
  }

  /** The port node counters or interface names of an exporter's ifIndex go to (null for 0). */
  portOf(addr: string, sub: number, ifIndex: number | undefined, now: number): string | null {
    try {
      return this.port(this.device(addr, sub, now), ifIndex, Date.now());
    } catch (err) {
      this.stale(addr, sub, err);
      return this.port(this.device(addr, sub, now), ifIndex, Date.now());
    }
  }

  /**
   * A write met a node deleted under the caches (before the change feed said so): forget the
   * device so the retry resolves it again through the alias table. Other errors are not ours.
   */
  private stale(addr: string, sub: number, err: unknown): void {
    if (!(err instanceof GraphIntegrityError)) throw err;
    const dev = this.devices.get(addr)?.get(sub);
    if (dev) this.forget(new Set([dev.id]));
    this.devicesGen++;
  }

  /** Nodes deleted (merged away or not): no cached reference to them survives. */
  forget(gone: ReadonlySet<string>): void {
    for (const [addr, bySub] of this.devices) {
      for (const [sub, d] of bySub) if (gone.has(d.id)) bySub.delete(sub);
      if (bySub.size === 0) this.devices.delete(addr);
    }
    this.devicesGen++;
    for (const [dev, byIf] of this.knownPorts) {
      if (gone.has(dev)) this.knownPorts.delete(dev);
      else for (const [i, p] of byIf) if (gone.has(p)) byIf.delete(i);
    }
    this.portsGen++;
  }

  /**
   * A switch now answers at this address (the change feed saw it written): an exporter node cached
   * for the address is looked up again on its next record, which folds it into the switch, instead
   * of up to RECHECK_MS later — until then its flows would sit on ports no host or query expects.
   */
  switchAt(addr: string): void {
    const bySub = this.devices.get(addr);
    if (bySub) for (const [sub, d] of bySub) if (d.exporterOnly) bySub.delete(sub);
    this.devicesGen++;
  }

  /** agent|sub-agent → the OVS datapath ID its counter samples named, and whether a bridge was found for it. */
  private readonly datapaths = new Map<string, { dpid: string; bound: boolean; at: number }>();

  /**
   * Open vSwitch numbers the sFlow sub-agent of each bridge (0, 1 … in its own hash order) under one
   * agent address, and names the bridge only in counter samples (OpenFlow port record 1004, the
   * datapath ID): that ID, matched to the ovsbridge OVSDB wrote, points the agent's sub-agent at
   * its bridge, and an exporter node made for it before that folds into the bridge.
   */
  datapath(addr: string, sub: number, dpid: string, now: number): void {
    const key = `${addr}|${sub}`;
    const seen = this.datapaths.get(key);
    if (seen && seen.dpid === dpid && (seen.bound ? now - seen.at < RECHECK_MS : now - seen.at < DATAPATH_RETRY_MS)) return;
    const bridge = this.store.findNodes('Type', 'ovsbridge').find((n) => n.DeletedAt === undefined && n.Metadata.DatapathID === dpid);
    this.datapaths.set(key, { dpid, bound: bridge !== undefined, at: now });
    if (!bridge) return;
    this.store.write((tx) => {
      const alias = this.aliasKey(addr, sub);
      if (tx.resolveAlias(alias) !== bridge.ID) tx.setAlias(alias, bridge.ID);
      const exporterId = ids.exporter(addr, sub);
      if (tx.getNode(exporterId)) this.merge(tx, exporterId, bridge.ID);
    });
    if (this.devices.get(addr)?.get(sub)?.id !== bridge.ID) this.devices.get(addr)?.delete(sub);
    this.devicesGen++;
  }

  /** A polled switch answering at this address, if any. */
  private switchFor(tx: GraphTx, addr: string): string | undefined {
    const byMgmt = tx.findNodes('MgmtAddress', addr).filter((n) => n.Metadata.Type === 'switch');
    if (byMgmt.length === 1) return byMgmt[0]!.ID;
    return undefined;
  }

  private device(addr: string, sub: number, now: number): Cached {
    let bySub: Map<number, Cached> | undefined;
    let cached: Cached | undefined;
    if (addr === this.lastAddr && sub === this.lastSub && this.lastGen === this.devicesGen) cached = this.lastDev;
    else {
      bySub = this.devices.get(addr);
      cached = bySub?.get(sub);
    }
    if (cached && (!cached.exporterOnly || now - cached.checkedAt < RECHECK_MS)) {
      this.lastAddr = addr;
      this.lastSub = sub;
      this.lastDev = cached;
      this.lastGen = this.devicesGen;
      return cached;
    }
    bySub ??= this.devices.get(addr);
    const ref = this.store.write((tx) => this.resolve(tx, addr, sub, now, cached));
    const entry: Cached = { ...ref, ports: undefined, portsGen: -1 };
    if (!bySub) this.devices.set(addr, (bySub = new Map()));
    bySub.set(sub, entry);
    this.lastAddr = addr;
    this.lastSub = sub;
    this.lastDev = entry;
    this.lastGen = this.devicesGen;
    return entry;
  }

  private resolve(tx: GraphTx, addr: string, sub: number, now: number, cached: DeviceRef | undefined): DeviceRef {
    const key = this.aliasKey(addr, sub);
    const aliased = tx.resolveAlias(key);
    // The device this address named may have been merged since: follow it to where it lives now.
    const alias = aliased === undefined ? undefined : canonicalId(tx, aliased);
    const node = alias === undefined ? undefined : tx.getNode(alias);
    if (node && node.Metadata.Type !== 'exporter') {
      if (alias !== aliased) tx.setAlias(key, node.ID);
      return { id: node.ID, exporterOnly: false, checkedAt: now };
    }
    const sw = this.switchFor(tx, addr);
    const exporterId = ids.exporter(addr, sub);
    if (sw) {
      tx.setAlias(key, sw);
      if (tx.getNode(exporterId)) this.merge(tx, exporterId, sw);
      return { id: sw, exporterOnly: false, checkedAt: now };
    }
    if (!cached || !tx.getNode(exporterId)) {
      tx.upsertNode(
        {
          ID: exporterId,
          Metadata: { Type: 'exporter', Name: sub ? `${addr}/${sub}` : addr, MgmtAddress: addr, Probe: this.origin },
          Origin: this.origin,
          Host: addr,
        },
        { merge: true },
      );
      tx.setAlias(key, exporterId);
    }
    return { id: exporterId, exporterOnly: true, checkedAt: now };
  }

  /**
   * Folds the exporter node into the switch (history keeps it): its ports merge into the switch's
   * port of the same ifIndex (their last counters carried over) or move under the switch. Flows
   * and counter series follow through the change feed (the pipeline re-points them).
   */
  private merge(tx: GraphTx, from: string, to: string): void {
    for (const e of tx.edgesOf(from, 'out')) {
      const port = tx.getNode(e.Child);
      if (!port || port.Metadata.Type !== 'port' || typeof port.Metadata.IfIndex !== 'number') continue;
      const target = ids.port(to, port.Metadata.IfIndex);
      if (!tx.getNode(target)) continue;
      const carry: Record<string, unknown> = {};
      for (const k of ['Metric', 'LastUpdateMetric']) if (port.Metadata[k] !== undefined) carry[k] = port.Metadata[k];
      if (Object.keys(carry).length) tx.upsertNode({ ID: target, Metadata: carry }, { merge: true });
    }
    mergeNodes(tx, from, to);
    this.log.info({ from, to }, 'exporter merged into the polled switch at its address');
  }

  /** The port node for an ifIndex on a device; created when the device has none. */
  private port(dev: Cached, ifIndex: number | undefined, now: number): string | null {
    if (ifIndex === undefined || ifIndex === 0) return null;
    // Forget now and then, so a port deleted by another writer is recreated.
    if (now - this.portsCheckedAt > RECHECK_MS) {
      this.knownPorts.clear();
      this.portsGen++;
      this.portsCheckedAt = now;
    } else {
      // The device's port map, found in knownPorts once per change of it rather than per record.
      if (dev.portsGen !== this.portsGen) {
        dev.ports = this.knownPorts.get(dev.id);
        dev.portsGen = this.portsGen;
      }
      const known = dev.ports?.get(ifIndex);
      if (known !== undefined) return known;
    }
    const id = this.findPort(dev.id, ifIndex) ?? this.createPort(dev.id, ifIndex);
    let byIf = this.knownPorts.get(dev.id);
    if (!byIf) {
      this.knownPorts.set(dev.id, (byIf = new Map()));
      this.portsGen++;
    }
    byIf.set(ifIndex, id);
    return id;
  }

  /** The device's port of this ifIndex: SNMP's (ids.port), else one a merge moved under it. */
  private findPort(devId: string, ifIndex: number): string | undefined {
    const id = ids.port(devId, ifIndex);
    if (this.store.getNode(id)) return id;
    for (const e of this.store.edgesOf(devId, 'out')) {
      if (e.Metadata.RelationType !== 'ownership') continue;
      const n = this.store.getNode(e.Child);
      // An OVS bridge's ports are ovsport nodes carrying their interface's ifIndex (docs/architecture.md#ovsdb).
      if (n && (n.Metadata.Type === 'port' || n.Metadata.Type === 'ovsport') && n.Metadata.IfIndex === ifIndex) return n.ID;
    }
    return undefined;
  }

  /** Flows and counters may name ports SNMP has not seen yet: make them visible. */
  private createPort(devId: string, ifIndex: number): string {
    const id = ids.port(devId, ifIndex);
    this.store.write((tx) => {
      tx.upsertNode({
        ID: id,
        Metadata: {
          Type: 'port',
          Name: placeholderName(ifIndex),
          NameSource: 'placeholder' satisfies NameSource,
          IfIndex: ifIndex,
          Probe: this.origin,
        },
        Origin: this.origin,
        Host: devId,
      });
      tx.upsertEdge({
        ID: ids.edge(devId, id, 'ownership'),
        Parent: devId,
        Child: id,
        Metadata: { RelationType: 'ownership' },
        Origin: this.origin,
      });
    });
    return id;
  }
}
