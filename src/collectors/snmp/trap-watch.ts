// Notices traps that never arrive: when polling sees a port go up or down and no linkUp/linkDown
// trap for that port reached the listener since the previous poll (or within `expectWithinMs`
// after), the device's traps are going somewhere else — a wrong target port or address, a
// firewall, a source address that is not the polled one. That is counted per device
// (canopy_snmp_traps_not_received_total, components.snmp.trapsNotReceived) and logged as
// `snmpTrapsNotReceived`, at most once an hour per device.
import type { Counter } from 'prom-client';
import { RateLimitedLog, type Logger } from '../../util/log.ts';

export type LinkState = 'UP' | 'DOWN';

export interface TrapsNotReceived {
  /** Link changes seen by polling without their trap. */
  count: number;
  firstAt: number;
  lastAt: number;
  last: { ifIndex: number; state: LinkState; polledAt: number };
}

export interface TrapWatchDeps {
  log: Logger;
  metric: Counter<'device'>;
  /** The listener's bound addresses and the sources it heard from but could not match, for the message. */
  listener(): { listen: string[]; unknownSourceAddresses: string[] };
  expectWithinMs: number;
  warnEveryMs?: number;
}

// The poll that still saw the old state may have read an agent's cache (net-snmp keeps ifTable for
// 3 s by default): a trap up to this long before that poll can still be the one for this change.
const SLACK_MS = 10_000;

export class TrapWatch {
  private readonly traps = new Map<string, Map<number, { state: LinkState; at: number }>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly devices = new Set<string>();
  readonly missed = new Map<string, TrapsNotReceived>();
  private readonly warn: RateLimitedLog;

  constructor(private readonly deps: TrapWatchDeps) {
    this.warn = new RateLimitedLog(deps.log, deps.warnEveryMs ?? 3_600_000, 1);
  }

  /** Devices the collector polls now: their series exist (at 0) before anything is missed; gone ones are forgotten. */
  known(devices: string[]): void {
    const want = new Set(devices);
    for (const d of this.devices) {
      if (want.has(d)) continue;
      this.devices.delete(d);
      this.deps.metric.remove({ device: d });
      this.missed.delete(d);
      this.traps.delete(d);
    }
    for (const d of want) {
      if (this.devices.has(d)) continue;
      this.devices.add(d);
      this.deps.metric.inc({ device: d }, 0);
    }
  }

  trap(device: string, ifIndex: number, state: LinkState, at = Date.now()): void {
    let m = this.traps.get(device);
    if (!m) this.traps.set(device, (m = new Map()));
    m.set(ifIndex, { state, at });
  }

  /** Polling saw ifIndex change to `state` somewhere after `since` (the previous poll). */
  polledChange(device: string, ifIndex: number, state: LinkState, since: number, at = Date.now()): void {
    if (this.matched(device, ifIndex, state, since)) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.matched(device, ifIndex, state, since)) this.notReceived(device, ifIndex, state, at);
    }, this.deps.expectWithinMs);
    timer.unref();
    this.timers.add(timer);
  }

  private matched(device: string, ifIndex: number, state: LinkState, since: number): boolean {
    const t = this.traps.get(device)?.get(ifIndex);
    return t !== undefined && t.state === state && t.at >= since - SLACK_MS;
  }

  private notReceived(device: string, ifIndex: number, state: LinkState, polledAt: number): void {
    if (!this.devices.has(device)) return; // removed while its grace time ran
    const now = Date.now();
    const prev = this.missed.get(device);
    this.missed.set(device, {
      count: (prev?.count ?? 0) + 1,
      firstAt: prev?.firstAt ?? now,
      lastAt: now,
      last: { ifIndex, state, polledAt },
    });
    this.deps.metric.inc({ device });
    const l = this.deps.listener();
    const strangers = l.unknownSourceAddresses.length
      ? `; traps did arrive from ${l.unknownSourceAddresses.join(', ')}, which no polled device has as its address`
      : '';
    this.warn.warn(
      device,
      { device, ifIndex, state, trapListen: l.listen, unknownTrapSources: l.unknownSourceAddresses },
      `snmpTrapsNotReceived: polling saw ifIndex ${ifIndex} of ${device} go ${state} but no link trap for it reached ${l.listen.join(', ') || 'the trap listener'} within ${this.deps.expectWithinMs / 1000} s — point the device's trap target at this collector's address and trap port${strangers} (logged once an hour per device; count in components.snmp.trapsNotReceived)`,
    );
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
