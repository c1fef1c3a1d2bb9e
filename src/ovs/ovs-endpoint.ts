// One configured OVSDB endpoint at run time (docs/architecture.md#ovsdb): its replica client, the
// graph writer fed from it, and the transactions captures need (sFlow rows, mirrors).
import { createSocket } from 'node:dgram';
import type { GraphStore } from '../topology/store/graph-store.ts';
import type { Logger } from '../util/log.ts';
import { RateLimitedLog } from '../util/log.ts';
import { OvsdbClient, type MonitorMethod } from './client.ts';
import type { CaptureTarget } from './captures.ts';
import type { OvsdbConfig } from './config.ts';
import { isUuid } from './datum.ts';
import { parseEndpoint, type AgentOpener, type Endpoint } from './endpoint.ts';
import type { OvsdbMetrics } from './metrics.ts';
import { OVS_COLUMNS } from './model.ts';
import { OvsGraphWriter } from './writer.ts';

const uuidAtom = (u: string) => ['uuid', u];
const isIp = (h: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');

/** The local address a datagram to `host` would leave from (a route lookup; nothing is sent). */
async function sourceAddressToward(host: string): Promise<string | undefined> {
  const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(9, host, () => resolve());
    });
    return sock.address().address;
  } catch {
    return undefined;
  } finally {
    sock.close();
  }
}

export class OvsEndpoint implements CaptureTarget {
  readonly endpoint: Endpoint;
  readonly client: OvsdbClient;
  readonly writer: OvsGraphWriter;
  private readonly warn: RateLimitedLog;
  lastSyncMs: number | null = null;
  private pending: NodeJS.Immediate | null = null;
  private resyncPending = false;
  syncs = 0;

  constructor(
    readonly text: string,
    private readonly cfg: OvsdbConfig,
    store: GraphStore,
    private readonly metrics: OvsdbMetrics,
    private readonly log: Logger,
    /** The collector's sFlow port, for the default target; undefined when sFlow is off. */
    private readonly sflowPort: number | undefined,
    /** Called after each graph sync (exporter aliases for captures' sFlow agents). */
    private readonly onSynced?: (ep: OvsEndpoint) => void,
    trace?: (dir: 'in' | 'out', msg: unknown) => void,
    /** Opens agent:HOST endpoints (the collector's AgentHub). */
    openAgent?: AgentOpener,
  ) {
    this.endpoint = parseEndpoint(text);
    // Through an agent, the OVS belongs to that agent's host: its bridges hang under the agent's host node.
    this.writer = new OvsGraphWriter(store, text, this.endpoint.kind === 'agent' ? this.endpoint.agentHost : undefined);
    this.warn = new RateLimitedLog(log);
    this.client = new OvsdbClient(
      this.endpoint,
      cfg,
      OVS_COLUMNS,
      {
        onChange: (resync) => this.schedule(resync),
        onConnected: (m: MonitorMethod) => {
          metrics.connected.set({ endpoint: text }, 1);
          log.info({ endpoint: text, method: m }, 'OVSDB monitor established');
        },
        onClose: (reason, detail) => {
          metrics.connected.set({ endpoint: text }, 0);
          metrics.closed.inc({ endpoint: text, reason });
          if (reason !== 'local')
            this.warn.warn(`close:${reason}`, { endpoint: text, reason, detail }, 'OVSDB connection closed; reconnecting');
        },
        onNotification: (m) => metrics.notifications.inc({ endpoint: text, method: m }),
        trace,
      },
      openAgent,
    );
  }

  start(): void {
    this.client.start();
  }

  stop(): void {
    this.client.stop();
    if (this.pending) clearImmediate(this.pending);
    this.pending = null;
  }

  /** Updates that arrive in one read (or one burst) are written as one graph change. */
  private schedule(resync: boolean): void {
    this.resyncPending ||= resync;
    this.pending ??= setImmediate(() => {
      this.pending = null;
      const r = this.resyncPending;
      this.resyncPending = false;
      try {
        this.sync(r);
      } catch (err) {
        // The graph store refused a write: log it (rate-limited) and re-sync from scratch on the next update.
        this.writer.reset();
        this.warn.error('sync', { endpoint: this.text, err }, 'writing the OVS graph failed');
      }
    });
  }

  private sync(resync: boolean): void {
    const t0 = performance.now();
    const n = this.writer.sync(this.client.tables);
    this.lastSyncMs = performance.now() - t0;
    this.syncs++;
    if (resync) this.metrics.resyncs.inc({ endpoint: this.text });
    this.metrics.writes.inc({ endpoint: this.text }, n);
    this.onSynced?.(this);
  }

  owns(nodeId: string): boolean {
    return this.writer.owns(nodeId);
  }

  bridgeOf(nodeId: string): string | undefined {
    return this.writer.bridgeOf.get(nodeId);
  }

  hostId(): string | undefined {
    return this.writer.current?.hostId;
  }

  /** Synced and written to the graph at least once (so owns() and bridgeOf() know its nodes). */
  connected(): boolean {
    return this.client.synced && this.syncs > 0;
  }

  /** Where OVS sends a capture's sFlow: the configured target, else our listener as seen from that server. */
  sflowTarget(): string {
    if (this.cfg.sflowTarget) return this.cfg.sflowTarget;
    if (this.sflowPort === undefined)
      throw new Error('sFlow is disabled here and ovsdb.sflowTarget is not set: OVS would have nowhere to send');
    const a = this.client.localAddress ?? '127.0.0.1';
    return a.includes(':') ? `[${a}]:${this.sflowPort}` : `${a}:${this.sflowPort}`;
  }

  /**
   * The sFlow agent address we ask OVS to report, so datagrams attribute to its bridge: the address
   * we reach a tcp:/ssl: server at; for unix: (OVS on this machine) the address this machine sends
   * from towards the sFlow target — what OVS would pick itself, made explicit so we know it.
   */
  async agentAddress(target: string): Promise<string | undefined> {
    // Through an agent, OVS picks its own agent address (the host's, towards the target).
    if (this.endpoint.kind === 'agent') return undefined;
    if (this.endpoint.kind !== 'unix') return isIp(this.endpoint.host) ? this.endpoint.host : undefined;
    const host = target.slice(0, target.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
    return sourceAddressToward(host);
  }

  async addSflow(bridgeUuid: string, captureId: string, sampling: number, polling: number, header: number) {
    if (!isUuid(bridgeUuid)) throw new Error(`bad bridge UUID ${bridgeUuid}`);
    const target = this.sflowTarget();
    const agent = await this.agentAddress(target);
    const row: Record<string, unknown> = {
      targets: ['set', [target]],
      sampling,
      polling,
      header,
      external_ids: ['map', [['canopy-capture', captureId]]],
    };
    if (agent) row.agent = agent;
    const where = [['_uuid', '==', uuidAtom(bridgeUuid)]];
    const res = await this.client.transact([
      // Only onto a bridge without sFlow: never replace an operator's configuration.
      { op: 'wait', timeout: 0, table: 'Bridge', where, columns: ['sflow'], until: '==', rows: [{ sflow: ['set', []] }] },
      { op: 'insert', table: 'sFlow', row, 'uuid-name': 'capsflow' },
      { op: 'update', table: 'Bridge', where, row: { sflow: ['named-uuid', 'capsflow'] } },
    ]);
    const ins = res[1] as { uuid?: unknown } | undefined;
    const u = Array.isArray(ins?.uuid) ? ins.uuid[1] : undefined;
    if (typeof u !== 'string' || !isUuid(u)) throw new Error('insert sFlow: no UUID in the reply');
    return { sflowUuid: u, ...(agent ? { agent } : {}) };
  }

  async removeSflow(bridgeUuid: string, sflowUuid: string): Promise<void> {
    // Clears the reference only if it is still ours; the unreferenced sFlow row is then garbage-collected.
    await this.client.transact([
      {
        op: 'update',
        table: 'Bridge',
        where: [
          ['_uuid', '==', uuidAtom(bridgeUuid)],
          ['sflow', 'includes', uuidAtom(sflowUuid)],
        ],
        row: { sflow: ['set', []] },
      },
    ]);
  }

  async addMirror(bridgeUuid: string, portUuid: string, name: string, captureId: string) {
    if (!isUuid(bridgeUuid) || !isUuid(portUuid)) throw new Error('bad bridge or port UUID');
    const ext = ['map', [['canopy-capture', captureId]]];
    const res = await this.client.transact([
      { op: 'insert', table: 'Interface', row: { name, type: 'internal', external_ids: ext }, 'uuid-name': 'mi' },
      { op: 'insert', table: 'Port', row: { name, interfaces: ['named-uuid', 'mi'], external_ids: ext }, 'uuid-name': 'mp' },
      {
        op: 'insert',
        table: 'Mirror',
        row: {
          name,
          select_src_port: uuidAtom(portUuid),
          select_dst_port: uuidAtom(portUuid),
          output_port: ['named-uuid', 'mp'],
          external_ids: ext,
        },
        'uuid-name': 'mm',
      },
      {
        op: 'mutate',
        table: 'Bridge',
        where: [['_uuid', '==', uuidAtom(bridgeUuid)]],
        mutations: [
          ['ports', 'insert', ['set', [['named-uuid', 'mp']]]],
          ['mirrors', 'insert', ['set', [['named-uuid', 'mm']]]],
        ],
      },
    ]);
    const uuidOf = (i: number) => {
      const r = res[i] as { uuid?: unknown } | undefined;
      const u = Array.isArray(r?.uuid) ? r.uuid[1] : undefined;
      if (typeof u !== 'string' || !isUuid(u)) throw new Error('insert: no UUID in the reply');
      return u;
    };
    if ((res[3] as { count?: number } | undefined)?.count !== 1) throw new Error('the bridge is gone');
    return { mirrorUuid: uuidOf(2), portUuid: uuidOf(1) };
  }

  async removeMirror(bridgeUuid: string, mirrorUuid: string, portUuid: string): Promise<void> {
    await this.client.transact([
      {
        op: 'mutate',
        table: 'Bridge',
        where: [['_uuid', '==', uuidAtom(bridgeUuid)]],
        mutations: [
          ['mirrors', 'delete', ['set', [uuidAtom(mirrorUuid)]]],
          ['ports', 'delete', ['set', [uuidAtom(portUuid)]]],
        ],
      },
    ]);
  }

  status(): Record<string, unknown> {
    const c = this.client;
    return {
      connected: c.connected,
      synced: c.synced,
      method: c.method,
      lastTxnId: c.lastTxnId,
      host: this.writer.current?.host ?? null,
      connects: c.connects,
      lastError: c.lastError,
      lastSyncMs: this.lastSyncMs,
    };
  }
}
