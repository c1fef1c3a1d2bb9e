// The SNMP component's Prometheus metrics: per-device reachability and poll duration, traps by
// device and type, traps dropped by reason. Every series a configured device can have exists from
// the moment it is configured (at 0), so alert rules match before anything happened; a device
// taken out of the config takes its series with it.
import type { Registry } from 'prom-client';
import { counter, gauge, histogram, preset } from '../../util/metrics.ts';
import type { SnmpErrorCode } from './client.ts';
import type { TrapKind } from './traps.ts';

export const TRAP_KINDS: readonly TrapKind[] = ['linkDown', 'linkUp', 'coldStart', 'warmStart', 'lldpRemTablesChange', 'other'];
/** unknown_source: from no polled device; auth: community/user not accepted; malformed: not a readable notification. */
export const TRAP_DROP_REASONS = ['unknown_source', 'auth', 'malformed'] as const;
export type TrapDropReason = (typeof TRAP_DROP_REASONS)[number];

/** Poll failures that mean the device did not answer us (others are answers: errors the agent reported, odd tables). */
export const NO_ANSWER: readonly string[] = ['timeout', 'auth', 'malformed', 'internal'] satisfies SnmpErrorCode[];

export class SnmpMetrics {
  private readonly polls;
  private readonly up;
  private readonly duration;
  private readonly traps;
  private readonly dropped;
  private readonly devices = new Set<string>();

  constructor(reg: Registry) {
    this.polls = counter(reg, 'canopy_snmp_polls_total', 'SNMP poll tasks by result', ['result']);
    this.up = gauge(
      reg,
      'canopy_snmp_device_up',
      '1 when the device answered its latest poll, 0 when it timed out or refused the credentials (and before its first poll)',
      ['device'],
    );
    this.duration = histogram(
      reg,
      'canopy_snmp_poll_duration_seconds',
      'Duration of one poll of a device (all tables due)',
      ['device'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    this.traps = counter(reg, 'canopy_snmp_traps_received_total', 'Traps/informs from polled devices, by device and type', [
      'device',
      'type',
    ]);
    this.dropped = counter(reg, 'canopy_snmp_traps_dropped_total', 'Traps/informs not acted on, by reason', ['reason']);
    preset(this.polls, { result: ['ok', 'timeout', 'error'] });
    preset(this.dropped, { reason: TRAP_DROP_REASONS });
  }

  countPoll(result: string): void {
    this.polls.inc({ result });
  }

  /** Devices ("address:port") as configured now: new ones get their series, gone ones lose theirs. */
  setDevices(keys: readonly string[]): void {
    const want = new Set(keys);
    for (const device of this.devices) {
      if (want.has(device)) continue;
      this.devices.delete(device);
      this.up.remove({ device });
      this.duration.remove({ device });
      for (const type of TRAP_KINDS) this.traps.remove({ device, type });
    }
    for (const device of want) {
      if (this.devices.has(device)) continue;
      this.devices.add(device);
      this.up.set({ device }, 0);
      this.duration.zero({ device });
      preset(this.traps, { device: [device], type: TRAP_KINDS });
    }
  }

  /** One poll of a device ended; `failure` is the code of the error that ended it, if any. */
  polled(device: string, seconds: number, failure: string | undefined): void {
    if (!this.devices.has(device)) return;
    this.up.set({ device }, failure !== undefined && NO_ANSWER.includes(failure) ? 0 : 1);
    this.duration.observe({ device }, seconds);
  }

  trap(device: string, kind: TrapKind): void {
    this.traps.inc({ device, type: kind });
  }

  trapDropped(reason: TrapDropReason): void {
    this.dropped.inc({ reason });
  }
}
