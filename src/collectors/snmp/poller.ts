// The scheduler: one timer per device, jittered per-table intervals, bounded concurrency,
// exponential backoff for devices that keep failing, early polls on request (traps).
import { DevicePoller, TASKS, type DeviceSettings, type PollContext, type Task } from './device-poller.ts';
import type { Target } from './devices.ts';
import { Limiter, backoffMs, jitter } from './limiter.ts';

interface Entry {
  poller: DevicePoller;
  due: Record<Task, number>;
  deadUntil: number;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  removed: boolean;
}

export interface PollerOptions {
  concurrency: number;
  /** Settings for a target (section defaults merged with the device's own overrides). */
  settings(t: Target): DeviceSettings;
  /** Delay spread of the first poll of each device (ms). */
  initialSpreadMs?: number;
  /** false: no timers, polls only via pollNow() (benchmarks, tests). */
  schedule?: boolean;
  /** After each poll of a device: whether it succeeded and how long it took (metrics). */
  onPolled?: (p: DevicePoller, ok: boolean, ms: number) => void;
}

export class SnmpPoller {
  private readonly entries = new Map<string, Entry>();
  private readonly limiter: Limiter;
  private stopped = false;

  constructor(
    private readonly ctx: PollContext,
    private readonly opts: PollerOptions,
  ) {
    this.limiter = new Limiter(opts.concurrency);
  }

  get inFlight(): number {
    return this.limiter.inFlight;
  }

  /** Adds, updates (re-created when changed) and removes devices to match `targets`. */
  setTargets(targets: Target[]): void {
    const want = new Map(targets.map((t) => [t.id, t]));
    for (const [id, e] of this.entries) {
      const t = want.get(id);
      if (!t || JSON.stringify(t) !== JSON.stringify(e.poller.target)) this.remove(id);
    }
    for (const t of targets) if (!this.entries.has(t.id)) this.add(t);
  }

  add(t: Target): void {
    const poller = new DevicePoller(t, this.opts.settings(t), this.ctx);
    const first = Date.now() + Math.random() * (this.opts.initialSpreadMs ?? 1000);
    const e: Entry = {
      poller,
      due: { discover: first, counters: first, lldp: first, fdb: first },
      deadUntil: 0,
      timer: undefined,
      running: undefined,
      removed: false,
    };
    this.entries.set(t.id, e);
    this.arm(e);
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.removed = true;
    if (e.timer) clearTimeout(e.timer);
    if (e.poller.switchId) this.ctx.claims.delete(e.poller.switchId);
    this.entries.delete(id);
  }

  /** Removes devices and resolves once none of their polls is in flight any more. */
  async drop(ids: string[]): Promise<void> {
    const running = ids.map((id) => this.entries.get(id)?.running);
    for (const id of ids) this.remove(id);
    await Promise.all(running.map((r) => r ?? Promise.resolve()));
  }

  devices(): DevicePoller[] {
    return [...this.entries.values()].map((e) => e.poller);
  }

  get(id: string): DevicePoller | undefined {
    return this.entries.get(id)?.poller;
  }

  /** Devices polled at this address (any port): trap sources are matched this way. */
  byAddress(address: string): DevicePoller[] {
    return this.devices().filter((d) => d.target.address === address);
  }

  /** Makes tasks due now (a trap asked for it); runs as soon as a slot is free. */
  trigger(id: string, tasks: readonly Task[]): void {
    const e = this.entries.get(id);
    if (!e) return;
    const now = Date.now();
    for (const t of tasks) e.due[t] = now;
    e.deadUntil = 0;
    this.arm(e);
  }

  /** Polls now, bypassing timers (still within the concurrency limit); resolves when done. */
  async pollNow(ids: string[] = [...this.entries.keys()], tasks: readonly Task[] = TASKS): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const e = this.entries.get(id);
        if (!e) return;
        while (e.running) await e.running;
        const now = Date.now();
        for (const t of tasks) e.due[t] = now;
        await this.fire(e, true);
      }),
    );
    // What the polls learnt about addresses is written in the background: done when that is too.
    await this.ctx.addresses?.idle();
  }

  private interval(p: DevicePoller, t: Task): number {
    const s = p.settings;
    return t === 'counters' ? s.counterMs : t === 'lldp' ? s.lldpMs : t === 'fdb' ? s.fdbMs : s.rediscoverMs;
  }

  private arm(e: Entry): void {
    if (this.stopped || e.removed || this.opts.schedule === false) return;
    if (e.timer) clearTimeout(e.timer);
    if (e.running) return; // re-armed when the running poll ends
    const next = Math.max(Math.min(...Object.values(e.due)), e.deadUntil);
    e.timer = setTimeout(() => void this.fire(e, false), Math.max(0, next - Date.now()));
    e.timer.unref();
  }

  private fire(e: Entry, force: boolean): Promise<void> {
    if (e.running) return e.running;
    e.timer = undefined;
    e.running = this.limiter
      .run(async () => {
        if (e.removed || this.stopped) return;
        if (this.ctx.mayPoll && !this.ctx.mayPoll(e.poller.target.key)) {
          // Not ours (any more): the owner removes it shortly; until then, no busy re-arming.
          e.deadUntil = Date.now() + 1000;
          return;
        }
        const now = Date.now();
        const tasks = TASKS.filter((t) => e.due[t] <= now + 50);
        if (tasks.length === 0 && !force) return;
        const started = performance.now();
        const ok = await e.poller.run(tasks);
        this.opts.onPolled?.(e.poller, ok, performance.now() - started);
        const done = Date.now();
        for (const t of tasks) e.due[t] = done + jitter(this.interval(e.poller, t));
        if (!e.poller.switchId) e.due.discover = done + jitter(e.poller.settings.counterMs);
        if (e.poller.rebooted) e.due.discover = done;
        e.deadUntil = ok
          ? 0
          : done +
            backoffMs(
              e.poller.failures,
              e.poller.settings.counterMs,
              Math.max(e.poller.settings.maxBackoffMs, e.poller.settings.counterMs),
            );
      })
      .catch((err: unknown) => this.ctx.log.error({ err, device: e.poller.target.key }, 'snmp poll crashed'))
      .finally(() => {
        e.running = undefined;
        this.arm(e);
      });
    return e.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    await Promise.all([...this.entries.values()].map((e) => e.running ?? Promise.resolve()));
  }
}
