// One root pino logger; components take child loggers once at construction, never per packet.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.CANOPY_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'canopy' } });
}

/** A logger for tests and CLI tools that should stay quiet unless asked. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Rate-limited lines for what can repeat per packet (bad input on the wire, a failing handler):
 * at most `perInterval` lines per key per interval, then one line saying how many were suppressed.
 */
export class RateLimitedLog {
  private readonly counts = new Map<string, { windowStart: number; n: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly perInterval = 5,
  ) {}

  warn(key: string, obj: object, msg: string): void {
    this.emit('warn', key, obj, msg);
  }

  error(key: string, obj: object, msg: string): void {
    this.emit('error', key, obj, msg);
  }

  private emit(level: 'warn' | 'error', key: string, obj: object, msg: string): void {
    const now = Date.now();
    let c = this.counts.get(key);
    if (!c || now - c.windowStart >= this.intervalMs) {
      if (c && c.suppressed > 0)
        this.log[level](
          { key, suppressed: c.suppressed },
          level === 'warn' ? 'suppressed repeated warnings' : 'suppressed repeated errors',
        );
      c = { windowStart: now, n: 0, suppressed: 0 };
      this.counts.set(key, c);
    }
    if (c.n < this.perInterval) {
      c.n++;
      this.log[level](obj, msg);
    } else {
      c.suppressed++;
    }
  }
}
