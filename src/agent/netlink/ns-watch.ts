// One watched network namespace: an `ip monitor link address` child whose every line means "re-read
// this netns" (debounced), and which doubles as an anchor inside the netns — /proc/<its pid>/net/*
// are that netns's counters and sockets, so neither needs a process spawned per read.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../util/log.ts';
import { parseBatch, parseNetDev, type IfaceCounters, type NsDump } from './ip-json.ts';
import { ipIn, type NsRef } from './namespaces.ts';
import { runCommand } from '../run-command.ts';

export function runIp(ns: NsRef, args: string[], input?: string, timeoutMs = 10_000): Promise<string> {
  const { cmd, args: pre } = ipIn(ns);
  return runCommand(cmd, [...pre, ...args], { timeoutMs, acceptOutputOnError: true, ...(input !== undefined ? { input } : {}) });
}

/** Interfaces with details and addresses, and the netns IDs this netns knows, in one `ip` run. */
export async function dumpNs(ns: NsRef): Promise<NsDump> {
  return parseBatch(await runIp(ns, ['-d', '-j', '-batch', '-'], 'addr show\nnetns list-id\n'));
}

export class NsWatch {
  private monitor: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private restarts = 0;

  constructor(
    readonly ns: NsRef,
    private readonly onChange: (ns: NsRef) => void,
    private readonly debounceMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.stopped) return;
    const { cmd, args } = ipIn(this.ns);
    const c = spawn(cmd, [...args, 'monitor', 'link', 'address'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.monitor = c;
    c.stdout.on('data', () => this.changed());
    c.stderr.on('data', () => {});
    c.on('error', (e) => this.log.warn({ err: e.message, ns: this.ns.key }, 'ip monitor failed'));
    c.on('exit', () => {
      if (this.monitor === c) this.monitor = undefined;
      // The netns went away (or ip died): the agent's next rescan decides; retry a few times meanwhile.
      if (!this.stopped && this.restarts++ < 3) setTimeout(() => this.start(), 1000).unref();
    });
  }

  private changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange(this.ns);
    }, this.debounceMs);
  }

  /** A PID inside this netns (the monitor), for /proc/<pid>/net/*; undefined for the root (use self). */
  anchorPid(): number | undefined {
    if (this.ns.kind === 'root') return process.pid;
    return this.monitor?.pid ?? this.ns.pid;
  }

  counters(): Promise<Map<string, IfaceCounters>> {
    const pid = this.anchorPid();
    if (pid === undefined) return Promise.resolve(new Map());
    try {
      // Sync: one small /proc file, cheaper than a thread-pool round trip.
      return Promise.resolve(parseNetDev(readFileSync(`/proc/${pid}/net/dev`, 'utf8')));
    } catch {
      return Promise.resolve(new Map());
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const m = this.monitor;
    this.monitor = undefined;
    if (m && m.exitCode === null) m.kill('SIGTERM');
  }
}
