// SNMP discovery (docs/architecture.md#snmp-discovery): seeds, then the management addresses that
// polled devices' LLDP (lldpRemManAddrTable) and CDP (cdpCacheAddress) rows name. A candidate inside
// `snmp.discovery.cidrs`, with a `snmp.credentials` entry for its subnet, that answers a probe and is
// not a device already polled (same address, or same sysName / LLDP chassis ID) becomes a poll
// target with source "discovered", kept in storage so a restart polls it again without rediscovery.
import { BlockList, isIP } from 'node:net';
import type { Registry } from 'prom-client';
import type { CanopyConfig } from '../../config/schema.ts';
import type { DiscoveredDevice, SnmpDeviceStore } from '../../topology/store/snmp-rows.ts';
import { RateLimitedLog, type Logger } from '../../util/log.ts';
import { counter, gauge, preset } from '../../util/metrics.ts';
import { deviceId, inSubnet, targetKey, toTarget, type Target } from './devices.ts';
import { probe, type ProbeIdentity, type ProbeOptions } from './discovery-probe.ts';
import { aliasKey } from './identity.ts';
import { Limiter } from './limiter.ts';
import type { ObservationChange, SnmpObservations } from './observations.ts';

type SnmpConfig = CanopyConfig['snmp'];

/** Why a candidate was not added. */
export const REJECT_REASONS = ['cidr', 'limit', 'no-credentials', 'no-answer', 'duplicate'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
type Outcome = 'added' | 'known' | RejectReason;

export interface DiscoveryDeps {
  cfg: SnmpConfig;
  devices: SnmpDeviceStore;
  observations: SnmpObservations;
  /** The graph's alias table: which switch a sysName or chassis ID names. */
  resolveAlias(key: string): string | undefined;
  /** Poll target key of the device that owns a switch ID, if one is polled. */
  owner(switchId: string): string | undefined;
  /** Whether a device at this address (any port) is polled now. */
  isPolled(address: string): boolean;
  /** A discovered device to poll now. */
  added(t: Target): void;
  registry: Registry;
  log: Logger;
}

// Addresses no agent answers at: "this network", multicast, broadcast, IPv6 unspecified and link-local
// (a link-local address needs an interface the neighbour table does not give). Some agents list 0.0.0.0.
const UNUSABLE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['224.0.0.0', 4],
  ['255.255.255.255', 32],
] as const)
  UNUSABLE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  UNUSABLE.addSubnet(net, bits, 'ipv6');

/** An IP address a neighbour table names that could be an agent's. */
export function usableAddress(a: string): boolean {
  const fam = isIP(a);
  return fam !== 0 && !UNUSABLE.check(a, fam === 4 ? 'ipv4' : 'ipv6');
}

interface Seen {
  outcome: Outcome;
  /** Not looked at again before (no-answer, duplicate: the device may change); Infinity: never. */
  retryAt: number;
}

export class SnmpDiscovery {
  private readonly cfg: SnmpConfig['discovery'];
  private readonly cidrs = new BlockList();
  private readonly rows = new Map<string, DiscoveredDevice>();
  private readonly seen = new Map<string, Seen>();
  private readonly inflight = new Map<string, Promise<Outcome>>();
  /** Identity keys (aliasKey form) of devices added but maybe not polled yet → their address. */
  private readonly identities = new Map<string, string>();
  private readonly limiter: Limiter;
  private readonly probeOpts: ProbeOptions;
  private readonly rl: RateLimitedLog;
  private readonly metrics;
  private reserved = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly d: DiscoveryDeps) {
    this.cfg = d.cfg.discovery;
    for (const c of this.cfg.cidrs) {
      const [net, bits] = c.split('/') as [string, string];
      this.cidrs.addSubnet(net, Number(bits), isIP(net) === 4 ? 'ipv4' : 'ipv6');
    }
    for (const r of d.devices.discovered()) this.rows.set(r.id, r);
    this.limiter = new Limiter(d.cfg.concurrency);
    this.probeOpts = { timeoutMs: d.cfg.timeout * 1000, retries: d.cfg.retries };
    this.rl = new RateLimitedLog(d.log, 60_000, 5);
    const reg = d.registry;
    this.metrics = {
      candidates: counter(reg, 'canopy_snmp_discovery_candidates_total', 'Distinct addresses discovery considered (seeds and neighbours)'),
      added: counter(reg, 'canopy_snmp_discovery_added_total', 'Devices discovery added'),
      rejected: counter(reg, 'canopy_snmp_discovery_rejected_total', 'Candidates not added, by reason (each address once per reason)', [
        'reason',
      ]),
      devices: gauge(reg, 'canopy_snmp_discovery_devices', 'Discovered devices (answering or not)'),
    };
    preset(this.metrics.rejected, { reason: REJECT_REASONS });
    this.metrics.devices.set(this.rows.size);
  }

  /** Poll targets for the devices discovered so far (also those from before a restart). */
  targets(): Target[] {
    return [...this.rows.values()].map((r) => this.target(r.address, r.port));
  }

  private target(address: string, port: number): Target {
    return toTarget({ address, port, version: '2c', versionDefaulted: true }, this.d.cfg.credentials, 'discovered');
  }

  /** Provenance and reachability of a discovered device, for /api/devices. */
  info(id: string): DiscoveredDevice | undefined {
    return this.rows.get(id);
  }

  start(): void {
    this.unsubscribe = this.d.observations.onChange((c) => this.onObservation(c));
    for (const s of this.cfg.seeds) this.track(this.consider(s, 'seed', true));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.idle();
  }

  /** Resolves once no candidate is being looked at (tests and the bench wait for it). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** After each poll of a device: a discovered one that stops answering is marked, not forgotten. */
  polled(t: Target, answered: boolean, now = Date.now()): void {
    const r = this.rows.get(t.id);
    if (!r || answered === (r.unreachableSince === null)) return;
    const next = { ...r, unreachableSince: answered ? null : now };
    this.rows.set(r.id, next);
    this.d.devices.putDiscovered(next);
    if (!answered)
      this.rl.warn(`unreachable:${t.key}`, { device: t.key, via: r.via }, 'snmp discovery: a discovered device stopped answering');
  }

  /** Drops a discovered device (deleted or replaced through the API); it may be found again. */
  forget(id: string): boolean {
    const r = this.rows.get(id);
    if (!r) return false;
    this.rows.delete(id);
    this.d.devices.deleteDiscovered(id);
    this.seen.delete(r.address);
    for (const [k, a] of this.identities) if (a === id) this.identities.delete(k);
    this.metrics.devices.set(this.rows.size);
    return true;
  }

  status(): Record<string, unknown> {
    const rejected: Record<string, number> = {};
    for (const s of this.seen.values())
      if (s.outcome !== 'added' && s.outcome !== 'known') rejected[s.outcome] = (rejected[s.outcome] ?? 0) + 1;
    return {
      discovered: this.rows.size,
      unreachable: [...this.rows.values()].filter((r) => r.unreachableSince !== null).length,
      maxDevices: this.cfg.maxDevices,
      candidatesSeen: this.seen.size,
      probing: this.inflight.size,
      rejected,
    };
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.d.log.error({ err }, 'snmp discovery failed')).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private onObservation(c: ObservationChange): void {
    if (this.stopped || (c.kind !== 'lldp' && c.kind !== 'cdp')) return;
    const groups =
      c.kind === 'lldp'
        ? this.d.observations.lldpRows({ device: c.device, current: true }).map((r) => r.managementAddresses)
        : this.d.observations.cdpRows({ device: c.device, current: true }).map((r) => (r.address ? [r.address] : []));
    for (const g of groups) {
      const ips = g.filter(usableAddress).map((a) => a.toLowerCase());
      if (ips.length && !ips.some((a) => this.d.isPolled(a))) this.track(this.neighbour(ips, c.device));
    }
  }

  /** One neighbour's addresses, in the order it advertises them, until one leads to its device. */
  private async neighbour(ips: string[], via: string): Promise<void> {
    for (const a of ips) {
      const o = await this.consider(a, via, false);
      if (o === 'added' || o === 'known' || o === 'duplicate') return;
    }
  }

  private consider(address: string, via: string, seed: boolean): Promise<Outcome> {
    const running = this.inflight.get(address);
    if (running) return running;
    const p = this.decide(address, via, seed).finally(() => this.inflight.delete(address));
    this.inflight.set(address, p);
    return p;
  }

  private async decide(address: string, via: string, seed: boolean): Promise<Outcome> {
    const prev = this.seen.get(address);
    if (prev && Date.now() < prev.retryAt) return prev.outcome;
    if (!prev) this.metrics.candidates.inc();
    const note = (outcome: Outcome, retryMs: number, extra: object = {}): Outcome => {
      if (outcome !== 'added' && outcome !== 'known' && prev?.outcome !== outcome) {
        this.metrics.rejected.inc({ reason: outcome });
        this.rl.warn(
          `reject:${outcome}`,
          { address, via, reason: outcome, ...extra },
          `snmp discovery: not adding ${address} (${outcome})`,
        );
      }
      this.seen.set(address, { outcome, retryAt: Date.now() + retryMs });
      return outcome;
    };
    // Known and limit are looked at again each time: a device may be removed, a slot freed.
    if (this.d.isPolled(address)) return note('known', 0);
    if (!seed && !this.cidrs.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6')) return note('cidr', Infinity);
    if (!this.d.cfg.credentials.some((c) => inSubnet(address, c.subnet))) return note('no-credentials', Infinity);
    if (this.rows.size + this.reserved >= this.cfg.maxDevices) return note('limit', 0, { maxDevices: this.cfg.maxDevices });
    this.reserved++;
    try {
      const t = this.target(address, this.cfg.port);
      const id = await this.limiter.run(() => (this.stopped ? Promise.resolve(null) : probe(t, this.probeOpts)));
      if (this.stopped) return 'known';
      const retry = this.d.cfg.rediscoverInterval * 1000;
      if (!id) return note('no-answer', retry);
      const same = this.sameAs(id);
      if (same) return note('duplicate', retry, { same });
      if (this.d.isPolled(address)) return note('known', 0);
      this.add(t, via, id);
      return note('added', Infinity);
    } finally {
      this.reserved--;
    }
  }

  private identityKeys(id: ProbeIdentity): string[] {
    // The chassis ID decides when the device has one; a sysName alone only for devices without LLDP.
    if (id.chassis) return [aliasKey.chassis(id.chassis.subtype, id.chassis.id)];
    return id.sysName ? [aliasKey.sysName(id.sysName)] : [];
  }

  /** The device (target key or discovered ID) that already has this identity, if any. */
  private sameAs(id: ProbeIdentity): string | undefined {
    for (const k of this.identityKeys(id)) {
      // Added by discovery a moment ago, perhaps not polled yet (so not in the alias table).
      const mine = this.identities.get(k);
      if (mine !== undefined && this.rows.has(mine)) return this.rows.get(mine)!.address;
      const sid = this.d.resolveAlias(k);
      const owner = sid === undefined ? undefined : this.d.owner(sid);
      if (owner !== undefined) return owner;
    }
    return undefined;
  }

  private add(t: Target, via: string, id: ProbeIdentity): void {
    const row: DiscoveredDevice = {
      id: deviceId(t.address, t.port),
      address: t.address,
      port: t.port,
      via,
      firstSeen: Date.now(),
      unreachableSince: null,
    };
    this.rows.set(row.id, row);
    this.d.devices.putDiscovered(row);
    for (const k of this.identityKeys(id)) this.identities.set(k, row.id);
    this.metrics.added.inc();
    this.metrics.devices.set(this.rows.size);
    this.d.log.info({ device: targetKey(t.address, t.port), via, sysName: id.sysName }, 'snmp discovery: device added');
    this.d.added(t);
  }
}
