// What a flood must show (docs/reliability.md#flood), shared by `npm run flood` and the suite's
// short flood: an empty list means every check passed.
import type { FloodReport } from './flood.ts';

export function floodFailures(r: FloodReport): string[] {
  const out: string[] = [];
  if (!r.stillUp) out.push('the collector exited during the flood');
  if (r.rssMaxBytes >= r.rssBoundBytes) out.push(`RSS ${r.rssMaxBytes} ≥ bound ${r.rssBoundBytes}`);
  const counted = r.dropped.socket_overflow! + r.dropped.queue_full! + r.dropped.truncated!;
  // Over loopback nothing is lost on the wire: what was not received was dropped, and counted —
  // by the collector (recvmmsg reads the kernel's overflow count) or, with node:dgram, only by
  // the kernel's machine-wide RcvbufErrors.
  if (r.sent > r.received && r.receiver === 'recvmmsg' && counted !== r.sent - r.received)
    out.push(`sent − received = ${r.sent - r.received} but drops counted = ${counted}`);
  if (r.sent > r.received && counted === 0 && r.kernelRcvbufErrors === 0) out.push('datagrams lost and no drop counted anywhere');
  if (r.stored !== r.records) out.push(`stored ${r.stored} flow records of ${r.records} accepted`);
  if (r.storedRollup !== r.stored) out.push(`rollup holds ${r.storedRollup} records, flows ${r.stored}`);
  for (const [name, l] of Object.entries(r.api)) {
    if (l.n === 0) out.push(`${name}: no answer during the flood`);
    if (l.failures > 0) out.push(`${name}: ${l.failures} requests failed`);
  }
  return out;
}
