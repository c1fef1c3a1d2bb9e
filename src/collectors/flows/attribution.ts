// Flow and counter attribution (DESIGN §4, §8): exporter address → device node (a polled switch
// whose management address it is, else an `exporter` node of its own) → port node by ifIndex.
// Later discriminators go into the alias table; when a polled switch turns up for an exporter
// node, the exporter merges into it.
import type { GraphStore, GraphTx } from '../../topology/store/graph-store.ts';
import { ids } from '../../topology/ids.ts';
import type { Logger } from '../../util/log.ts';

const RECHECK_MS = 30_000;

export interface DeviceRef {
  id: string;
  /** True for an exporter node (no SNMP knowledge of this device yet). */
  exporterOnly: boolean;
  checkedAt: number;
}

export class Attribution {
  private readonly devices = new Map<string, DeviceRef>();
  /** deviceId → ifIndex → port ID of ports known to exist (UUIDv5 is too slow per record). */
  private readonly knownPorts = new Map<string, Map<number, string>>();
  private portsCheckedAt = 0;
  /** Called after an exporter node merged into a switch: flows must be re-pointed. */
  onMerge?: (from: string, to: string) => void;

  constructor(
    private readonly store: GraphStore,
    private readonly origin: string,
    private readonly log: Logger,
  ) {}

  private aliasKey(addr: string, sub: number): string {
    return `exporter:${addr}:${sub}`;
  }

  /** A polled switch answering at this address, if any. */
  private switchFor(tx: GraphTx, addr: string): string | undefined {
    const byMgmt = tx.findNodes('MgmtAddress', addr).filter((n) => n.Metadata.Type === 'switch');
    if (byMgmt.length === 1) return byMgmt[0]!.ID;
    return undefined;
  }

  device(addr: string, sub: number, now: number): DeviceRef {
    const key = `${addr}|${sub}`;
    const cached = this.devices.get(key);
    if (cached && (!cached.exporterOnly || now - cached.checkedAt < RECHECK_MS)) return cached;
    const ref = this.store.write((tx) => this.resolve(tx, addr, sub, now, cached));
    this.devices.set(key, ref);
    return ref;
  }

  private resolve(tx: GraphTx, addr: string, sub: number, now: number, cached: DeviceRef | undefined): DeviceRef {
    const alias = tx.resolveAlias(this.aliasKey(addr, sub));
    if (alias && tx.getNode(alias) && tx.getNode(alias)!.Metadata.Type !== 'exporter') return { id: alias, exporterOnly: false, checkedAt: now };
    const sw = this.switchFor(tx, addr);
    const exporterId = ids.exporter(addr, sub);
    if (sw) {
      tx.setAlias(this.aliasKey(addr, sub), sw);
      if (tx.getNode(exporterId)) this.merge(tx, exporterId, sw);
      return { id: sw, exporterOnly: false, checkedAt: now };
    }
    if (!cached || !tx.getNode(exporterId)) {
      tx.upsertNode(
        { ID: exporterId, Metadata: { Type: 'exporter', Name: sub ? `${addr}/${sub}` : addr, MgmtAddress: addr, Probe: this.origin }, Origin: this.origin, Host: addr },
        { merge: true },
      );
      tx.setAlias(this.aliasKey(addr, sub), exporterId);
    }
    return { id: exporterId, exporterOnly: true, checkedAt: now };
  }

  /** Moves what the exporter node knew onto the switch and retires it (history keeps it). */
  private merge(tx: GraphTx, from: string, to: string): void {
    for (const e of tx.edgesOf(from, 'out')) {
      const port = tx.getNode(e.Child);
      if (!port || port.Metadata.Type !== 'port' || typeof port.Metadata.IfIndex !== 'number') continue;
      const target = ids.port(to, port.Metadata.IfIndex);
      if (tx.getNode(target)) {
        const carry: Record<string, unknown> = {};
        for (const k of ['Metric', 'LastUpdateMetric']) if (port.Metadata[k] !== undefined) carry[k] = port.Metadata[k];
        if (Object.keys(carry).length) tx.upsertNode({ ID: target, Metadata: carry }, { merge: true });
      }
      tx.upsertNode({ ID: port.ID, Metadata: { MergedInto: target } }, { merge: true });
      tx.deleteNode(port.ID);
      this.knownPorts.clear();
      this.onMerge?.(port.ID, target);
    }
    tx.upsertNode({ ID: from, Metadata: { MergedInto: to } }, { merge: true });
    tx.deleteNode(from);
    this.onMerge?.(from, to);
    this.log.info({ from, to }, 'exporter merged into the polled switch at its address');
  }

  /** The port node for an ifIndex on a device; created on an exporter node, looked up on a switch. */
  port(dev: DeviceRef, ifIndex: number | undefined): string | null {
    if (ifIndex === undefined || ifIndex === 0) return null;
    let byIf = this.knownPorts.get(dev.id);
    const known = byIf?.get(ifIndex);
    const now = Date.now();
    // Forget now and then, so a port deleted by another writer is recreated.
    if (now - this.portsCheckedAt > RECHECK_MS) {
      this.knownPorts.clear();
      byIf = undefined;
      this.portsCheckedAt = now;
    } else if (known) return known;
    const id = ids.port(dev.id, ifIndex);
    const exists = this.store.getNode(id);
    if (!exists) {
      // Flows and counters may name ports SNMP has not seen yet: make them visible.
      this.store.write((tx) => {
        tx.upsertNode({ ID: id, Metadata: { Type: 'port', Name: `ifIndex ${ifIndex}`, IfIndex: ifIndex, Probe: this.origin }, Origin: this.origin, Host: dev.id });
        tx.upsertEdge({ ID: ids.edge(dev.id, id, 'ownership'), Parent: dev.id, Child: id, Metadata: { RelationType: 'ownership' }, Origin: this.origin });
      });
    }
    if (!byIf) this.knownPorts.set(dev.id, (byIf = new Map()));
    byIf.set(ifIndex, id);
    return id;
  }
}
