// The agent's port-mirror captures (docs/architecture.md#port-mirror-capture): the collector's
// CaptureEngine run on this host, (a) for the interfaces in `agent.capture`, (b) for what the
// collector asks in `CaptureSet` (the whole list each time: a capture on one of this host's
// interfaces, or the cnp-mir-<id> port of an OVS mirror on a bridge here). Each export goes back
// as `CaptureFlows` on the agent's connection; the collector attributes it. A capture that cannot
// start yet (OVS has not created the mirror port) is retried with backoff and reported once per
// distinct error as `CaptureError`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CaptureEngine } from '../../collectors/mirror/engine.ts';
import type { MirrorFlow } from '../../collectors/mirror/conversations.ts';
import { ids } from '../../topology/ids.ts';
import type { Logger } from '../../util/log.ts';
import { RateLimitedLog } from '../../util/log.ts';
import type { AgentConfig } from '../config.ts';

const run = promisify(execFile);
/** Flows per CaptureFlows frame (a busy interface's export is split). */
const CHUNK = 2_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/** One capture as `CaptureSet` carries it (src/api/ws/agent-captures.ts). */
interface CaptureSpec {
  UUID?: string;
  Interface: string;
  Netns?: string;
  Filter?: string;
  Snaplen?: number;
  BringUp?: boolean;
  NodeId: string;
}

interface Running {
  spec: CaptureSpec;
  engine: CaptureEngine | undefined;
  retry: NodeJS.Timeout | undefined;
  wait: number;
  lastError: string | undefined;
  stopped: boolean;
}

const keyOf = (s: CaptureSpec) => `${s.UUID ?? 'config'}|${s.Netns ?? ''}|${s.Interface}`;
const IFNAME = /^[^\s/]{1,15}$/;

export class AgentCaptures {
  private readonly running = new Map<string, Running>();
  private readonly warn: RateLimitedLog;

  constructor(
    private readonly opts: {
      hostId: string;
      cfg: AgentConfig;
      send: (type: string, obj: unknown) => void;
    },
    private readonly log: Logger,
  ) {
    this.warn = new RateLimitedLog(log);
  }

  /** A namespace name (under netns.dir) or path → the path the capture opens. */
  private nsPath(ns: string | undefined): string | undefined {
    if (!ns) return undefined;
    return ns.startsWith('/') ? ns : join(this.opts.cfg.netns.dir, ns);
  }

  /** The configured ones (`agent.capture`), attributed to this host's interface node. */
  private configured(): CaptureSpec[] {
    return this.opts.cfg.capture.map((c) => {
      const path = this.nsPath(c.netns);
      // The interface's ID as the agent's graph names it (netns key: '' at the root, else its path).
      return {
        Interface: c.interface,
        ...(c.netns ? { Netns: c.netns } : {}),
        Filter: c.filter,
        Snaplen: c.snaplen,
        NodeId: ids.hostInterface(this.opts.hostId, c.interface, path ?? ''),
      };
    });
  }

  start(): void {
    this.apply([]);
  }

  /** `CaptureSet {Captures}` from the collector: runs exactly these plus the configured ones. */
  set(obj: unknown): void {
    const list = (obj as { Captures?: unknown } | undefined)?.Captures;
    if (!Array.isArray(list)) return;
    const specs: CaptureSpec[] = [];
    for (const x of list as Record<string, unknown>[]) {
      if (typeof x !== 'object' || x === null) continue;
      if (typeof x.UUID !== 'string' || typeof x.Interface !== 'string' || !IFNAME.test(x.Interface) || typeof x.NodeId !== 'string')
        continue;
      specs.push({
        UUID: x.UUID,
        Interface: x.Interface,
        NodeId: x.NodeId,
        ...(typeof x.Netns === 'string' && x.Netns ? { Netns: x.Netns } : {}),
        ...(typeof x.Filter === 'string' ? { Filter: x.Filter } : {}),
        ...(typeof x.Snaplen === 'number' ? { Snaplen: x.Snaplen } : {}),
        ...(x.BringUp === true ? { BringUp: true } : {}),
      });
    }
    this.apply(specs);
  }

  private apply(requested: CaptureSpec[]): void {
    const want = new Map<string, CaptureSpec>();
    for (const s of [...this.configured(), ...requested]) want.set(keyOf(s), s);
    for (const [k, r] of this.running) {
      if (want.has(k)) continue;
      this.stopOne(r);
      this.running.delete(k);
    }
    for (const [k, spec] of want) {
      if (this.running.has(k)) continue;
      const r: Running = { spec, engine: undefined, retry: undefined, wait: RETRY_MIN_MS, lastError: undefined, stopped: false };
      this.running.set(k, r);
      void this.startOne(r);
    }
  }

  private async startOne(r: Running): Promise<void> {
    const s = r.spec;
    const netns = this.nsPath(s.Netns);
    try {
      // OVS creates its internal (mirror) ports down; a capture on a down interface sees nothing.
      if (s.BringUp) {
        const up = ['ip', 'link', 'set', 'dev', s.Interface, 'up'];
        if (netns) await run('nsenter', [`--net=${netns}`, ...up]);
        else await run(up[0]!, up.slice(1));
      }
      if (r.stopped) return;
      const engine = new CaptureEngine(
        {
          interface: s.Interface,
          ...(netns ? { netns } : {}),
          filter: s.Filter ?? '',
          snaplen: s.Snaplen ?? 256,
          target: { nodeId: s.NodeId, direction: 'both' },
          exportInterval: Math.max(0.2, this.opts.cfg.captureExportInterval),
        },
        (flows) => this.emit(s, flows),
      );
      engine.start();
      r.engine = engine;
      this.log.info({ interface: s.Interface, netns: s.Netns, capture: s.UUID }, 'capture started');
    } catch (e) {
      if (r.stopped) return;
      const msg = (e as Error).message.split('\n')[0]!;
      if (msg !== r.lastError) {
        r.lastError = msg;
        this.opts.send('CaptureError', { UUID: s.UUID, Interface: s.Interface, Error: msg });
      }
      this.warn.warn(`start:${keyOf(s)}`, { interface: s.Interface, err: msg }, 'capture could not start; retrying');
      r.retry = setTimeout(() => {
        r.retry = undefined;
        void this.startOne(r);
      }, r.wait);
      r.retry.unref();
      r.wait = Math.min(r.wait * 2, RETRY_MAX_MS);
    }
  }

  private emit(s: CaptureSpec, flows: MirrorFlow[]): void {
    for (let i = 0; i < flows.length; i += CHUNK)
      this.opts.send('CaptureFlows', {
        ...(s.UUID ? { UUID: s.UUID } : {}),
        Interface: s.Interface,
        NodeId: s.NodeId,
        Flows: flows.slice(i, i + CHUNK),
      });
  }

  private stopOne(r: Running): void {
    r.stopped = true;
    if (r.retry) clearTimeout(r.retry);
    r.retry = undefined;
    // Exports what the table still holds, then closes the capture.
    r.engine?.stop();
    r.engine = undefined;
    this.log.info({ interface: r.spec.Interface, capture: r.spec.UUID }, 'capture stopped');
  }

  stop(): void {
    for (const r of this.running.values()) this.stopOne(r);
    this.running.clear();
  }

  status(): Record<string, unknown>[] {
    return [...this.running.values()].map((r) => ({
      capture: r.spec.UUID ?? null,
      interface: r.spec.Interface,
      netns: r.spec.Netns ?? null,
      running: r.engine !== undefined,
      lastError: r.lastError ?? null,
      ...(r.engine ? { engine: r.engine.status() } : {}),
    }));
  }
}
