// SNMP devices shared by the collectors on one PostgreSQL database (docs/scale-out.md, "SNMP devices
// across collectors"). Each device is leased to one collector at a time; rendezvous hashing over the
// live collectors (their heartbeats) says which one should hold it, so devices spread and move back
// when a collector joins. Safety does not rest on the assignment: a collector polls a device only
// while its lease is valid by its own monotonic clock, and it counts that validity from *before* the
// renewal was sent (the database stamps the expiry later), minus a third of the TTL for polls in
// flight. So it stops before the database can hand the device to anyone else, whatever the skew
// between machines' clocks.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { HeldLease } from '../../topology/store/postgres-leases.ts';
import type { Logger } from '../../util/log.ts';
import { counter, gauge } from '../../util/metrics.ts';

/** What the leases need from the database (PostgresLeaseStore). */
export interface LeaseBackend {
  heartbeat(me: string, ttlMs: number): Promise<string[]>;
  claim(me: string, resources: string[], preferred: boolean[], ttlMs: number): Promise<HeldLease[]>;
  want(me: string, resources: string[]): Promise<void>;
  release(me: string, resources: string[]): Promise<void>;
  leave(me: string): Promise<void>;
  close(): Promise<void>;
}

export interface DeviceLeasesOptions {
  store: LeaseBackend;
  /** This collector's ID (snmp.lease.collectorId). */
  me?: string;
  ttlMs: number;
  log: Logger;
  registry: Registry;
  /** The set of held devices changed: re-apply the poller's targets. */
  onChange(): void;
  /** Stops polling these devices and resolves once no poll of them is in flight (before a hand-over). */
  stopPolling(keys: string[]): Promise<void>;
}

const RESOURCE = 'snmp:';

export function defaultCollectorId(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/** The live collector that should hold `key` (highest hash of collector and key). */
export function preferredHolder(live: readonly string[], key: string): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const c of live) {
    const score = createHash('sha1').update(c).update('\u0000').update(key).digest().readUIntBE(0, 6);
    if (score > bestScore || (score === bestScore && best !== undefined && c < best)) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

export class DeviceLeases {
  readonly me: string;
  private keys: string[] = [];
  /** Device key → monotonic time (performance.now()) until which it may be polled. */
  private readonly held = new Map<string, number>();
  private live: string[] = [];
  /** Devices being handed over: no longer polled, not renewed, released once their polls ended. */
  private readonly leaving = new Set<string>();
  private round: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastErrorLog = 0;
  private lastError: string | undefined;
  private readonly renewMs: number;
  private readonly guardMs: number;
  private readonly m;

  constructor(private readonly o: DeviceLeasesOptions) {
    this.me = o.me ?? defaultCollectorId();
    this.renewMs = o.ttlMs / 4;
    this.guardMs = o.ttlMs / 3;
    const reg = o.registry;
    this.m = {
      held: gauge(reg, 'canopy_snmp_leases_held', 'SNMP devices this collector holds the lease of (and polls)'),
      collectors: gauge(reg, 'canopy_snmp_lease_collectors', 'Live collectors sharing the SNMP devices (heartbeats in PostgreSQL)'),
      takeovers: counter(
        reg,
        'canopy_snmp_lease_takeovers_total',
        'Device leases acquired that another collector held before (it died, stopped or handed the device over)',
      ),
      lapsed: counter(reg, 'canopy_snmp_leases_lapsed_total', 'Devices no longer polled because their lease could not be renewed in time'),
      errors: counter(reg, 'canopy_snmp_lease_errors_total', 'Lease rounds that failed (database unreachable, timeout)'),
    };
  }

  /** May this device be polled now? (checked before every poll task) */
  holds(key: string): boolean {
    const until = this.held.get(key);
    return until !== undefined && until > performance.now();
  }

  /** Every device any collector could poll (this collector's configured, API and discovered ones). */
  setKeys(keys: string[]): void {
    const changed = keys.length !== this.keys.length || keys.some((k, i) => k !== this.keys[i]);
    this.keys = [...keys];
    if (changed && this.timer) this.schedule(0);
  }

  async start(): Promise<void> {
    this.sweeper = setInterval(() => this.sweep(), Math.min(250, this.guardMs / 4));
    this.sweeper.unref();
    await this.runRound();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runRound(), ms);
    this.timer.unref();
  }

  private async runRound(): Promise<void> {
    if (this.round) return this.round;
    const t0 = performance.now();
    this.round = this.renew(t0)
      .then(() => {
        this.lastError = undefined;
      })
      .catch((e: unknown) => {
        this.m.errors.inc();
        this.lastError = (e as Error).message;
        // Devices stay polled until their validity runs out (the sweeper drops them); logged once a minute.
        if (Date.now() - this.lastErrorLog > 60_000) {
          this.lastErrorLog = Date.now();
          this.o.log.warn({ err: this.lastError }, 'snmp leases not renewed');
        }
      })
      .finally(() => {
        this.round = undefined;
        this.schedule(Math.max(0, t0 + this.renewMs - performance.now()));
      });
    return this.round;
  }

  private async renew(t0: number): Promise<void> {
    const { store, ttlMs } = this.o;
    const live = await store.heartbeat(this.me, ttlMs);
    if (this.stopped) return;
    this.live = live;
    this.m.collectors.set(live.length);
    const keys = this.keys.filter((k) => !this.leaving.has(k));
    const preferred = keys.map((k) => preferredHolder(live, k) === this.me);
    const got = await store.claim(
      this.me,
      keys.map((k) => RESOURCE + k),
      preferred,
      ttlMs,
    );
    // The database set each expiry at now() + TTL, after t0 on any clock: valid until t0 + TTL here.
    const until = t0 + ttlMs - this.guardMs;
    const want = new Set(keys);
    const prefers = new Map(keys.map((k, i) => [k, preferred[i]!]));
    const gotNow = new Set<string>();
    const handOver: string[] = [];
    let changed = false;
    for (const h of got) {
      const key = h.resource.slice(RESOURCE.length);
      gotNow.add(key);
      if (!this.holds(key)) {
        changed = true;
        if (h.fresh && h.previous && h.previous !== this.me) {
          this.m.takeovers.inc();
          this.o.log.info({ device: key, from: h.previous }, 'snmp device taken over');
        }
      }
      if (this.stopped) continue;
      this.held.set(key, until);
      // Another live collector should hold it and asked for it: stop here, then release.
      if (h.wantedBy && h.wantedBy !== this.me && !prefers.get(key) && live.includes(h.wantedBy)) handOver.push(key);
    }
    // Held here but not renewed: gone from the device list, or (after a lapse) someone else's now.
    for (const key of [...this.held.keys()]) {
      if (gotNow.has(key)) continue;
      this.held.delete(key);
      changed = true;
      if (want.has(key)) this.o.log.warn({ device: key }, 'snmp device lease lost');
    }
    if (handOver.length) {
      for (const k of handOver) {
        this.held.delete(k);
        this.leaving.add(k);
      }
      changed = true;
      // In the background: the renewals of the other devices must not wait for these polls to end.
      void this.handOver(handOver);
    }
    await store.want(
      this.me,
      keys.filter((k, i) => preferred[i] && !gotNow.has(k)).map((k) => RESOURCE + k),
    );
    this.m.held.set(this.held.size);
    if (changed) this.o.onChange();
  }

  private async handOver(keys: string[]): Promise<void> {
    try {
      await this.o.stopPolling(keys);
      await this.o.store.release(
        this.me,
        keys.map((k) => RESOURCE + k),
      );
      this.o.log.info({ devices: keys }, 'snmp devices handed over');
    } catch (e) {
      // Not released: the leases run out on their own (not renewed meanwhile).
      this.o.log.warn({ err: (e as Error).message, devices: keys }, 'snmp devices not released');
    } finally {
      for (const k of keys) this.leaving.delete(k);
    }
  }

  /** Drops devices whose validity ran out (renewals failed or came too late). */
  private sweep(): void {
    const now = performance.now();
    let lapsed = 0;
    for (const [key, until] of this.held) {
      if (until > now) continue;
      this.held.delete(key);
      lapsed++;
    }
    if (!lapsed) return;
    this.m.lapsed.inc(lapsed);
    this.m.held.set(this.held.size);
    this.o.log.warn({ devices: lapsed }, 'snmp device leases lapsed: not polling them');
    this.o.onChange();
  }

  status(): Record<string, unknown> {
    return {
      collectorId: this.me,
      held: [...this.held.keys()].filter((k) => this.holds(k)).sort(),
      collectors: this.live,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Stops renewing; the caller stops the poller, then calls leave(). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.sweeper);
    await this.round;
    this.held.clear();
    this.m.held.set(0);
  }

  /** Releases every lease and the heartbeat (the poller has stopped), so others take over at once. */
  async leave(): Promise<void> {
    try {
      await this.o.store.leave(this.me);
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'snmp leases not released (they expire)');
    }
    await this.o.store.close();
  }
}
