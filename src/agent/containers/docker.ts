// Docker containers over the Engine API's unix socket (docs/architecture.md#agent): list, inspect
// for the PID and network sandbox, and the event stream (`/events`, one JSON object per line) to
// re-read when a container starts, stops or dies. No socket, no containers; never an error loop.
import { request } from 'node:http';
import { existsSync, readlinkSync } from 'node:fs';
import type { Logger } from '../../util/log.ts';
import type { ContainerInfo } from './types.ts';

type J = Record<string, unknown>;

export function engineGet(socketPath: string, path: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', headers: { Host: 'docker' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) return reject(new Error(`Engine API ${path}: ${res.statusCode} ${body.slice(0, 200)}`));
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`Engine API ${path}: not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`Engine API ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

function netnsInodeOfPid(pid: number): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** One `GET /containers/{id}/json` answer → ContainerInfo; undefined when it has no Id. */
export function fromInspect(o: J): ContainerInfo | undefined {
  const id = typeof o.Id === 'string' ? o.Id : undefined;
  if (!id) return undefined;
  const state = (o.State ?? {}) as J;
  const config = (o.Config ?? {}) as J;
  const net = (o.NetworkSettings ?? {}) as J;
  const c: ContainerInfo = {
    id,
    name: typeof o.Name === 'string' ? o.Name.replace(/^\//, '') : id.slice(0, 12),
    runtime: 'docker',
    status: typeof state.Status === 'string' ? state.Status : state.Running === true ? 'running' : 'unknown',
    labels: {},
  };
  if (typeof config.Image === 'string') c.image = config.Image;
  const labels = config.Labels;
  if (labels && typeof labels === 'object') for (const [k, v] of Object.entries(labels as J)) if (typeof v === 'string') c.labels[k] = v;
  const pid = typeof state.Pid === 'number' && state.Pid > 0 ? state.Pid : undefined;
  if (pid !== undefined) {
    c.pid = pid;
    const ino = netnsInodeOfPid(pid);
    if (ino !== undefined) c.netnsInode = ino;
  }
  if (typeof net.SandboxKey === 'string' && net.SandboxKey) c.netnsPath = net.SandboxKey;
  if (typeof o.Created === 'string') {
    const t = Date.parse(o.Created);
    if (Number.isFinite(t)) c.createdAt = t;
  }
  return c;
}

export class DockerSource {
  private events: ReturnType<typeof request> | undefined;
  private stopped = false;
  private retry = 1000;
  private warned = false;

  constructor(
    private readonly socketPath: string,
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {}

  present(): boolean {
    return existsSync(this.socketPath);
  }

  /** Every container (running or not), inspected. */
  async list(): Promise<ContainerInfo[]> {
    if (!this.present()) return [];
    try {
      const list = await engineGet(this.socketPath, '/containers/json?all=1');
      if (!Array.isArray(list)) return [];
      const out: ContainerInfo[] = [];
      for (const s of list as J[]) {
        if (typeof s.Id !== 'string' || !/^[0-9a-f]{12,64}$/i.test(s.Id)) continue;
        try {
          const c = fromInspect((await engineGet(this.socketPath, `/containers/${s.Id}/json`)) as J);
          if (c) out.push(c);
        } catch {
          // removed between list and inspect
        }
      }
      this.warned = false;
      return out;
    } catch (e) {
      if (!this.warned) this.log.warn({ err: (e as Error).message }, 'Docker Engine API unavailable');
      this.warned = true;
      return [];
    }
  }

  /** Follows /events for containers; each event means "re-read". Reconnects with backoff. */
  follow(): void {
    if (this.stopped || !this.present()) return;
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
    const req = request(
      { socketPath: this.socketPath, path: `/events?filters=${filters}`, method: 'GET', headers: { Host: 'docker' } },
      (res) => {
        this.retry = 1000;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            try {
              const ev = JSON.parse(line) as J;
              if (ev.Type === 'container' || ev.Type === undefined) this.onChange();
            } catch {
              // not an event
            }
          }
        });
        res.on('end', () => this.again());
      },
    );
    req.on('error', () => this.again());
    req.end();
    this.events = req;
  }

  private again(): void {
    if (this.stopped) return;
    this.events = undefined;
    const t = setTimeout(() => this.follow(), this.retry);
    t.unref();
    this.retry = Math.min(this.retry * 2, 30_000);
  }

  stop(): void {
    this.stopped = true;
    this.events?.destroy();
    this.events = undefined;
  }
}
