// The last counter reading taken per port, and the rule that skips a reading too close to it
// (docs/performance.md, "The reconciliation stall, the counter gate, keyed lookups"). The sFlow handler keeps one for what it applies
// (component.ts applyCounters) and asks it before decoding (context.ts CounterGate). A receive/
// decode worker keeps its own, fed the same datagrams in the same order, so it turns away only
// what the main thread would have discarded after paying for the record's decode, copy and parse.

/** Counter readings of one port closer together than this are skipped. */
export const MIN_COUNTER_STEP_MS = 1000;

interface LastReading {
  at: number;
  uptime: number;
  status: unknown;
}

export class CounterReadings {
  /** By exporter, then sub-agent × 2^32 + ifIndex: numbers below the exporter, no text per sample. */
  private readonly byExporter = new Map<string, Map<number, LastReading>>();

  /**
   * A reading less than a second after the last one, by our clock and by the agent's, adds
   * nothing to a rate series (exporters send every 10–30 s) and would flood it; a capture
   * replayed fast still passes (its uptimes advance), and a status change always does.
   */
  tooSoon(exporter: string, sub: number, ifIndex: number, now: number, uptime: number, status: unknown): boolean {
    return soon(this.byExporter.get(exporter)?.get(sub * 4294967296 + ifIndex), now, uptime, status);
  }

  /** Takes the reading unless it is too soon: true when taken (the caller applies it). */
  take(exporter: string, sub: number, ifIndex: number, now: number, uptime: number, status: unknown): boolean {
    let m = this.byExporter.get(exporter);
    const key = sub * 4294967296 + ifIndex;
    const last = m?.get(key);
    if (last === undefined) {
      if (!m) this.byExporter.set(exporter, (m = new Map()));
      m.set(key, { at: now, uptime, status });
      return true;
    }
    if (soon(last, now, uptime, status)) return false;
    last.at = now;
    last.uptime = uptime;
    last.status = status;
    return true;
  }
}

function soon(last: LastReading | undefined, now: number, uptime: number, status: unknown): boolean {
  return (
    last !== undefined &&
    now - last.at < MIN_COUNTER_STEP_MS &&
    uptime - last.uptime >= 0 &&
    uptime - last.uptime < MIN_COUNTER_STEP_MS &&
    last.status === status
  );
}
