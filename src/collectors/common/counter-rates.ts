// Interface counter readings → deltas fit for a rate series (docs/architecture.md#port-metrics).
// A delta is kept only when it can be trusted: a counter that went down is a wrap only if the
// wrapped difference is a plausible amount of traffic for the interval; a reboot (uptime going
// back, or advancing much less than the wall clock) or a reading after a silence longer than a
// few intervals starts a new baseline instead, so the series shows a gap, never a zero or a spike.
import type { InterfaceCounters } from '../../topology/store/port-series.ts';

export type CounterWidth = 32 | 64;

/** What a reading knows besides the counters. */
export interface ReadingInfo {
  /** Width of the octet counters (IF-MIB HC and sFlow: 64; IF-MIB ifTable: 32). */
  bytesWidth: CounterWidth;
  /** Width of the packet counters (sFlow's are 32-bit; errors and discards always are). */
  packetsWidth: CounterWidth;
  /** The device's uptime (ms) when it read the counters: sysUpTime, sFlow's datagram uptime. */
  uptimeMs?: number;
  /** Port speed (bit/s) when known: bounds what a wrap or a jump may amount to. */
  speed?: number;
  /** ifOperStatus: 1 up, 2 down … */
  oper?: number;
}

export interface Reading extends ReadingInfo {
  at: number;
  c: InterfaceCounters;
}

/** Why a reading gave no delta (counted by callers). */
export type Discard = 'first' | 'reboot' | 'gap' | 'reset' | 'clock';

export type DeltaResult = { ok: true; d: InterfaceCounters } | { ok: false; why: Discard };

const KEYS = ['rxBytes', 'txBytes', 'rxPackets', 'txPackets', 'rxErrors', 'txErrors', 'rxDropped', 'txDropped'] as const;
/** Above this speed's worth of traffic (×) a delta is a discontinuity, not traffic. */
const SPEED_SLACK = 1.2;
/** With no speed known: no port carries more than 1.6 Tbit/s. */
const MAX_BYTES_PER_SEC = 2e11;
/** Smallest Ethernet frame on the wire: bounds packets per second from the byte bound. */
const MIN_FRAME = 64;

export interface RateOptions {
  /** A silence longer than this many nominal intervals is a gap. */
  gapIntervals: number;
  /** Floor for the gap threshold (ms), so a fast exporter's jitter is no gap. */
  minGapMs: number;
}

export const DEFAULT_RATE_OPTIONS: RateOptions = { gapIntervals: 3, minGapMs: 5_000 };

/**
 * The deltas between two readings of one port from one source, or why there are none.
 * `nominalMs` is the interval the source is expected to keep (a poll interval), 0 when unknown.
 */
export function counterDelta(prev: Reading, cur: Reading, nominalMs: number, o: RateOptions = DEFAULT_RATE_OPTIONS): DeltaResult {
  const wallMs = cur.at - prev.at;
  const upMs = prev.uptimeMs !== undefined && cur.uptimeMs !== undefined ? cur.uptimeMs - prev.uptimeMs : undefined;
  // Two readings at one instant are a duplicate, unless the device's clock moved between them
  // (a capture replayed in one burst): its uptime then measures the interval.
  if (wallMs < 0 || (wallMs === 0 && !(upMs !== undefined && upMs > 0))) return { ok: false, why: 'clock' };
  if (nominalMs > 0 && wallMs > Math.max(o.gapIntervals * nominalMs, o.minGapMs)) return { ok: false, why: 'gap' };
  let spanMs = wallMs;
  if (upMs !== undefined) {
    // Uptime going back, or moving much less than our clock (a reboot between the two readings
    // whose uptime has already passed the old one): the counters restarted.
    if (upMs < 0 || upMs < wallMs / 2 - 2_000) return { ok: false, why: 'reboot' };
    // The plausibility bound takes the longer of both intervals: a late answer is no burst, and a
    // capture replayed faster than it was recorded keeps the device's own pace.
    spanMs = Math.max(wallMs, upMs);
  }
  const secs = spanMs / 1000;
  const byteBound = cur.speed && cur.speed > 0 ? (cur.speed / 8) * SPEED_SLACK * secs : MAX_BYTES_PER_SEC * secs;
  const d = {} as InterfaceCounters;
  for (const k of KEYS) {
    const bytes = k.endsWith('Bytes');
    const width = bytes ? cur.bytesWidth : k.endsWith('Packets') ? cur.packetsWidth : 32;
    const bound = bytes ? byteBound : byteBound / MIN_FRAME;
    const a = prev.c[k];
    const b = cur.c[k];
    let v: number;
    if (b >= a) v = b - a;
    // Down: one wrap of a `width`-bit counter, if that is plausible; else a reset. A 64-bit
    // counter's "wrap" is always implausible (decades at line rate), so it reads as a reset.
    else v = 2 ** width - a + b;
    if (!(v <= bound)) return { ok: false, why: 'reset' };
    d[k] = v;
  }
  return { ok: true, d };
}

export interface SeriesSample extends InterfaceCounters {
  start: number;
  last: number;
  oper: number | null;
}

/** Keeps the last reading per (port, source) and turns each new one into a sample or a discard. */
export class CounterTracker {
  private readonly last = new Map<string, { r: Reading; nominal: number }>();
  readonly discards: Record<Discard, number> = { first: 0, reboot: 0, gap: 0, reset: 0, clock: 0 };

  constructor(private readonly opts: RateOptions = DEFAULT_RATE_OPTIONS) {}

  /**
   * A reading; returns the sample for the interval it closes, or undefined. `nominalMs` is the
   * source's interval when it has one (SNMP's poll interval); otherwise the tracker learns it
   * from the intervals it accepted.
   */
  add(key: string, r: Reading, nominalMs = 0): SeriesSample | undefined {
    const p = this.last.get(key);
    if (!p) {
      this.last.set(key, { r, nominal: nominalMs });
      this.discards.first++;
      return undefined;
    }
    const nominal = nominalMs || p.nominal;
    const res = counterDelta(p.r, r, nominal, this.opts);
    if (!res.ok) {
      // 'clock' keeps the older reading (a duplicate); everything else starts a new baseline.
      if (res.why !== 'clock') this.last.set(key, { r, nominal });
      this.discards[res.why]++;
      return undefined;
    }
    const interval = r.at - p.r.at;
    this.last.set(key, { r, nominal: nominalMs || (p.nominal ? (p.nominal * 3 + interval) / 4 : interval) });
    return { ...res.d, start: p.r.at, last: r.at, oper: r.oper ?? null };
  }

  /** The last reading kept for a key (tests, merges). */
  reading(key: string): Reading | undefined {
    return this.last.get(key)?.r;
  }

  move(from: string, to: string): void {
    const l = this.last.get(from);
    if (!l) return;
    this.last.delete(from);
    if (!this.last.has(to)) this.last.set(to, l);
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
