// Bounded concurrency: at most N device polls in flight; the rest wait in FIFO order.
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** interval × (1 ± fraction): spreads polls so devices added together do not stay in lock-step. */
export function jitter(ms: number, fraction = 0.1): number {
  return Math.max(0, ms * (1 + (Math.random() * 2 - 1) * fraction));
}

/** Exponential backoff for a device that keeps failing: base × 2^(failures−1), capped. */
export function backoffMs(failures: number, baseMs: number, capMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 30));
}
