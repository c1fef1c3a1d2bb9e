// State rules of the wall display (docs/architecture.md#wall-display): UP neutral, DOWN red, degraded amber when one end
// is DOWN, errors exceed 0.1 % of packets in the last interval, utilisation exceeds 90 %, or the
// link's evidence conflicts. Pure functions so the Node tests can check them without a browser.
import { St, type Metadata } from './types.ts';

export const ERROR_RATIO = 0.001;
export const UTIL_DEGRADED = 0.9;

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function ownState(md: Metadata | undefined): St {
  const s = md?.State;
  if (s === 'DOWN') return St.Down;
  if (s === 'UP') return St.Up;
  return St.Unknown;
}

/** Errors over packets in the last interval (LastUpdateMetric); 0 when there were no packets. */
export function errorRatio(md: Metadata | undefined): number {
  const m = md?.LastUpdateMetric as Metadata | undefined;
  if (!m) return 0;
  const pkts = num(m.RxPackets) + num(m.TxPackets);
  const errs = num(m.RxErrors) + num(m.TxErrors);
  return pkts > 0 ? errs / pkts : errs > 0 ? 1 : 0;
}

/** Busier direction's bit rate over Speed, from LastUpdateMetric (Start/Last in ms); 0 when unknown. */
export function utilisation(md: Metadata | undefined): number {
  const m = md?.LastUpdateMetric as Metadata | undefined;
  const speed = num(md?.Speed);
  if (!m || speed <= 0) return 0;
  const secs = (num(m.Last) - num(m.Start)) / 1000;
  if (secs <= 0) return 0;
  const bytes = Math.max(num(m.RxBytes), num(m.TxBytes));
  return (bytes * 8) / secs / speed;
}

/** One interface/port on its own: its State, then degraded by errors or load. */
export function endState(md: Metadata | undefined): St {
  const s = ownState(md);
  if (s === St.Down) return St.Down;
  if (errorRatio(md) > ERROR_RATIO || utilisation(md) > UTIL_DEGRADED) return St.Degraded;
  return s;
}

/** Sources disagree about this link (a stitcher marks it, or Evidence says so). */
export function conflicting(md: Metadata | undefined): boolean {
  return md?.Conflict === true || md?.EvidenceConflict === true;
}

/**
 * A link between two ends: both DOWN (or one DOWN and nothing known about the other) is DOWN;
 * one DOWN while the other is UP is degraded, as are errors, load or conflicting evidence.
 */
export function linkState(edgeMd: Metadata | undefined, a: Metadata | undefined, b: Metadata | undefined): St {
  if (ownState(edgeMd) === St.Down) return St.Down;
  const sa = endState(a);
  const sb = endState(b);
  const oa = ownState(a);
  const ob = ownState(b);
  if (oa === St.Down && ob === St.Down) return St.Down;
  if ((oa === St.Down && ob === St.Unknown) || (ob === St.Down && oa === St.Unknown)) return St.Down;
  if (oa === St.Down || ob === St.Down) return St.Degraded;
  if (sa === St.Degraded || sb === St.Degraded || conflicting(edgeMd)) return St.Degraded;
  return St.Up;
}

/** Utilisation of a link: the busier end. */
export function linkUtil(a: Metadata | undefined, b: Metadata | undefined): number {
  return Math.max(utilisation(a), utilisation(b));
}

/** A group or an aggregated link: all members down → down; some down or degraded → degraded. */
export function combine(states: Iterable<St>): St {
  let n = 0;
  let down = 0;
  let worst = St.Unknown;
  for (const s of states) {
    n++;
    if (s === St.Down) down++;
    if (s > worst) worst = s;
  }
  if (n === 0) return St.Unknown;
  if (down === n) return St.Down;
  if (down > 0) return St.Degraded;
  return worst;
}
