// The `snmp` collector component: poller + trap listener + the device table + observations.
import type { Component, ComponentContext, ComponentSpec } from '../../component/contract.ts';
import { give } from '../../component/contract.ts';
import { DEVICE_ADMIN, STITCH_INPUT } from '../../component/provisions.ts';
import { listenList } from '../../util/listen.ts';
import { counter } from '../../util/metrics.ts';
import { v3User } from './client.ts';
import { TASKS, type DevicePoller, type DeviceSettings, type PollContext } from './device-poller.ts';
import { SnmpDiscovery } from './discovery.ts';
import { NO_ANSWER, SnmpMetrics } from './metrics.ts';
import { deviceId, endpointOf, toTarget, type Target } from './devices.ts';
import type { DeviceAdmin } from './device-admin.ts';
import { feedStitcher } from './stitch-feed.ts';
import { AddressWriter } from './address-writer.ts';
import { writeLinkState } from './graph-writer.ts';
import type { V3User } from './net-snmp.ts';
import { SnmpObservations } from './observations.ts';
import { SnmpPoller } from './poller.ts';
import { deviceSchema, type DeviceConfig } from './config.ts';
import { TrapListener, type Trap } from './traps.ts';
import { TrapWatch } from './trap-watch.ts';
import { SnmpCounterSeries } from './counter-series.ts';
import { PostgresLeaseStore } from '../../topology/store/postgres-leases.ts';
import { DeviceLeases } from './leases.ts';

export interface SnmpComponent extends Component {
  readonly observations: SnmpObservations;
  readonly poller: SnmpPoller;
  /** The device table as /api/devices reads and writes it. */
  readonly devices: DeviceAdmin;
  /** The bound trap addresses ("host:port"). */
  trapAddresses(): string[];
  /** Present when `snmp.discovery.enabled`. */
  readonly discovery: SnmpDiscovery | undefined;
}

export function createSnmpComponent(ctx: ComponentContext, opts: { schedule?: boolean } = {}): SnmpComponent {
  const cfg = ctx.config.snmp;
  const log = ctx.log.child({ component: 'snmp' });
  const observations = new SnmpObservations(ctx.storage.snmpObservations, cfg.missedPollsDown);
  const table = ctx.storage.snmpDevices;
  const metrics = new SnmpMetrics(ctx.registry);
  const claims = new Map<string, string>();
  const series = new SnmpCounterSeries(ctx.store, ctx.storage.portSeries);
  const pctx: PollContext = {
    store: ctx.store,
    obs: observations,
    log,
    claims,
    countPoll: (r) => metrics.countPoll(r),
    addresses: new AddressWriter(ctx.store, observations, (err) => log.error({ err }, 'snmp ARP addresses not written')),
    // Each poll's counters go to the port series (written at once: one transaction per device poll).
    onCounters: (sid, states, up, at, nominal) => {
      series.record(sid, states, up, at, nominal);
      series.flush();
    },
  };
  const s = (v: number | undefined, d: number) => (v ?? d) * 1000;
  const settings = (t: Target): DeviceSettings => {
    const d = t.config;
    return {
      counterMs: s(d.counterInterval, cfg.counterInterval),
      lldpMs: s(d.lldpInterval, cfg.lldpInterval),
      fdbMs: s(d.fdbInterval, cfg.fdbInterval),
      rediscoverMs: s(d.rediscoverInterval, cfg.rediscoverInterval),
      timeoutMs: s(d.timeout, cfg.timeout),
      retries: d.retries ?? cfg.retries,
      maxRepetitions: d.maxRepetitions ?? cfg.maxRepetitions,
      missedPollsDown: cfg.missedPollsDown,
      maxBackoffMs: cfg.maxBackoff * 1000,
      vlanCommunities: cfg.vlanCommunities,
    };
  };
  const onPolled = (p: DevicePoller, ok: boolean, ms: number) => {
    const failure = ok ? undefined : p.status.lastError?.code;
    log.debug({ device: p.target.key, ok, ms: Math.round(ms), lastSentAt: p.lastSentAt }, 'snmp device polled');
    metrics.polled(p.target.key, ms / 1000, failure);
    if (p.target.source === 'discovered') discovery?.polled(p.target, failure === undefined || !NO_ANSWER.includes(failure));
  };
  const poller = new SnmpPoller(pctx, {
    concurrency: cfg.concurrency,
    settings,
    schedule: opts.schedule ?? true,
    initialSpreadMs: Math.min(2000, cfg.counterInterval * 1000),
    onPolled,
  });
  const apiErrors: string[] = [];
  // With PostgreSQL, the collectors on the database share the devices: this one polls those it leases.
  const pgc = ctx.config.storage.backend === 'postgres' ? ctx.config.storage.postgres : undefined;
  const leases = pgc
    ? new DeviceLeases({
        store: new PostgresLeaseStore({
          url: pgc.url,
          connectTimeoutMs: pgc.connectTimeout * 1000,
          // A renewal slower than a quarter of the TTL is as good as failed.
          statementTimeoutMs: Math.min(pgc.statementTimeout * 1000, (cfg.lease.ttl * 1000) / 4),
        }),
        ...(cfg.lease.collectorId ? { me: cfg.lease.collectorId } : {}),
        ttlMs: cfg.lease.ttl * 1000,
        log,
        registry: ctx.registry,
        onChange: () => apply(),
        stopPolling: (keys) => poller.drop(current.filter((t) => keys.includes(t.key)).map((t) => t.id)),
      })
    : undefined;
  if (leases) pctx.mayPoll = (key) => leases.holds(key);

  const targets = (): Target[] => {
    const out = new Map<string, Target>();
    const endpoints = new Set<string>();
    // Config validation made entries sharing an address:port distinct devices; the first keeps
    // the plain ID and key, the others add their name.
    for (const d of cfg.devices) {
      const t = toTarget(d, cfg.credentials, 'config', endpoints.has(endpointOf(d)));
      endpoints.add(endpointOf(d));
      if (!out.has(t.id)) out.set(t.id, t);
    }
    for (const row of table.all()) {
      const r = deviceSchema.safeParse(row.body);
      if (!r.success) {
        if (!apiErrors.includes(row.id)) apiErrors.push(row.id);
        continue;
      }
      // The stored ID says whether it was created as a second device at its endpoint.
      const t = toTarget(r.data, cfg.credentials, 'api', row.id !== deviceId(r.data.address, r.data.port));
      if (!out.has(t.id)) out.set(t.id, t);
    }
    for (const t of discovery?.targets() ?? []) if (!out.has(t.id)) out.set(t.id, t);
    return [...out.values()];
  };
  // Addresses polled now (any port): discovery does not add a device twice.
  let polledAddresses = new Set<string>();
  const discovery = cfg.discovery.enabled
    ? new SnmpDiscovery({
        cfg,
        devices: table,
        observations,
        resolveAlias: (key) => ctx.store.resolveAlias(key),
        owner: (sid) => claims.get(sid),
        isPolled: (address) => polledAddresses.has(address.toLowerCase()),
        // One device at a time (no full re-sync: a fabric is discovered one neighbour after another).
        added: (t) => {
          if (leases) return sync(); // leased like any other device
          if (poller.get(t.id)) return;
          poller.add(t);
          polledAddresses.add(t.address.toLowerCase());
          const keys = poller.devices().map((d) => d.target.key);
          metrics.setDevices(keys);
          watch?.known(keys);
          for (const c of t.communities) traps?.addCommunity(c);
          poller.trigger(t.id, TASKS);
        },
        registry: ctx.registry,
        log,
      })
    : undefined;

  const onTrap = (t: Trap): boolean => {
    const devs = poller.byAddress(t.source);
    if (devs.length === 0) {
      metrics.trapDropped('unknown_source');
      return false;
    }
    for (const d of devs) {
      metrics.trap(d.target.key, t.kind);
      if ((t.kind === 'linkDown' || t.kind === 'linkUp') && t.ifIndex !== null && d.switchId) {
        const sid = d.switchId;
        // The trap kind decides; ifOperStatus in the varbinds (DISMAN monitor sends it) agrees.
        const state = t.operStatus !== null ? (t.operStatus === 1 ? 'UP' : 'DOWN') : t.kind === 'linkUp' ? 'UP' : 'DOWN';
        const admin = t.adminStatus === null ? undefined : t.adminStatus === 1 ? 'UP' : 'DOWN';
        watch?.trap(d.target.key, t.ifIndex, state, t.receivedAt);
        const known = ctx.store.write((tx) => writeLinkState(tx, sid, t.ifIndex!, state, admin));
        // A port we do not know yet: rediscover.
        if (!known) poller.trigger(d.target.id, ['discover']);
      } else if (t.kind === 'coldStart' || t.kind === 'warmStart') poller.trigger(d.target.id, ['discover', 'counters', 'lldp', 'fdb']);
      else if (t.kind === 'lldpRemTablesChange') poller.trigger(d.target.id, ['lldp']);
    }
    return true;
  };

  const trapUsers = (): V3User[] => {
    const users: V3User[] = cfg.traps.users.map((u) => v3User({ ...u, version: '3' } as unknown as Target));
    for (const t of targets()) if (t.version === '3' && t.user && !users.some((u) => u.name === t.user)) users.push(v3User(t));
    return users;
  };
  const trapCommunities = () => [...new Set([...cfg.traps.communities, ...targets().flatMap((t) => t.communities)])];
  const traps = cfg.traps.enabled ? new TrapListener(listenList(cfg.traps.listen), trapUsers(), trapCommunities(), onTrap, log) : undefined;
  if (traps) traps.onBad = (reason) => metrics.trapDropped(reason);
  // Only with a listener: without one, link changes reach the graph by polling as configured.
  const watch =
    cfg.traps.enabled && cfg.traps.expectWithin > 0
      ? new TrapWatch({
          log,
          expectWithinMs: cfg.traps.expectWithin * 1000,
          metric: counter(
            ctx.registry,
            'canopy_snmp_traps_not_received_total',
            'Link changes seen by polling for which no linkUp/linkDown trap arrived',
            ['device'],
          ),
          listener: () => ({ listen: traps?.stats.listen ?? [], unknownSourceAddresses: traps?.stats.unknownSourceAddresses ?? [] }),
        })
      : undefined;
  if (watch) pctx.onLinkChange = (device, ifIndex, state, since, at) => watch.polledChange(device, ifIndex, state, since, at);
  // Every device (any collector may poll it), and of those the ones this collector polls.
  let current: Target[] = [];
  const apply = () => {
    const mine = leases ? current.filter((t) => leases.holds(t.key)) : current;
    poller.setTargets(mine);
    metrics.setDevices(mine.map((t) => t.key));
    watch?.known(mine.map((t) => t.key));
  };
  const sync = () => {
    const ts = (current = targets());
    leases?.setKeys(ts.map((t) => t.key));
    apply();
    polledAddresses = new Set(ts.map((t) => t.address.toLowerCase()));
    for (const t of ts) for (const c of t.communities) traps?.addCommunity(c);
  };

  const devices: DeviceAdmin = {
    targets,
    status: (id) => {
      const st = poller.get(id)?.status as unknown as Record<string, unknown> | undefined;
      const found = discovery?.info(id);
      if (!found || poller.get(id)?.target.source !== 'discovered') return st;
      return { ...st, discoveredVia: found.via, discoveredAt: found.firstSeen, unreachableSince: found.unreachableSince };
    },
    put: (id: string, d: DeviceConfig) => {
      table.put(id, d);
      // Edited through the API, a discovered device becomes an API one.
      discovery?.forget(id);
      sync();
    },
    delete: (id) => {
      const ok = table.delete(id);
      const found = discovery?.forget(id) ?? false;
      sync();
      return ok || found;
    },
  };

  return {
    name: 'snmp',
    observations,
    poller,
    devices,
    trapAddresses: () => traps?.stats.listen ?? [],
    discovery,
    async start() {
      if (traps) await traps.start();
      sync();
      await leases?.start();
      discovery?.start();
    },
    async stop() {
      watch?.stop();
      await discovery?.stop();
      // No new poll task once stopped; the leases are released when no poll is in flight any more.
      await leases?.stop();
      await poller.stop();
      await leases?.leave();
      await traps?.stop();
    },
    status() {
      const devices: Record<string, unknown> = {};
      for (const d of poller.devices()) devices[d.target.key] = d.status;
      return {
        devices,
        deviceCount: poller.devices().length,
        pollsInFlight: poller.inFlight,
        ...(traps ? { traps: traps.stats } : {}),
        ...(watch ? { trapsNotReceived: Object.fromEntries(watch.missed) } : {}),
        ...(apiErrors.length ? { invalidStoredDevices: apiErrors } : {}),
        ...(discovery ? { discovery: discovery.status() } : {}),
        ...(leases ? { leases: leases.status() } : {}),
      };
    },
  };
}

/**
 * The SNMP component as the collector wires it: it provides the device table, and feeds what it
 * observes into the stitcher when one runs (so the stitcher starts first and misses nothing).
 */
export const snmpComponent: ComponentSpec = {
  name: 'snmp',
  enabled: (config) => config.snmp.enabled,
  uses: [STITCH_INPUT],
  provides: [DEVICE_ADMIN],
  create(ctx, provided) {
    const snmp = createSnmpComponent(ctx);
    const stitch = provided.find(STITCH_INPUT);
    let unfeed: (() => void) | undefined;
    const component: Component = {
      name: snmp.name,
      async start() {
        if (stitch) unfeed = feedStitcher(snmp.observations, stitch);
        try {
          await snmp.start();
        } catch (e) {
          unfeed?.();
          throw e;
        }
      },
      async stop() {
        await snmp.stop();
        unfeed?.();
        unfeed = undefined;
      },
      status: () => snmp.status(),
    };
    return { component, provides: [give(DEVICE_ADMIN, snmp.devices)] };
  },
};
