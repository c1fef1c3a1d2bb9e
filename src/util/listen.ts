// `*.listen` values (docs/architecture.md#configuration-and-metrics): one address or a list, "host:port", "[v6]:port" or ":port";
// port 0 means an ephemeral port.
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(value: string, defaultHost = '0.0.0.0'): ListenAddress {
  const v = value.trim();
  let host: string;
  let portText: string;
  const m6 = /^\[([^\]]+)\]:(\d+)$/.exec(v);
  if (m6) {
    host = m6[1]!;
    portText = m6[2]!;
  } else {
    const idx = v.lastIndexOf(':');
    if (idx < 0) {
      if (!/^\d+$/.test(v)) throw new Error(`"${value}" is not host:port`);
      host = defaultHost;
      portText = v;
    } else {
      host = v.slice(0, idx) || defaultHost;
      portText = v.slice(idx + 1);
    }
  }
  if (!/^\d+$/.test(portText)) throw new Error(`"${value}": port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) throw new Error(`"${value}": port ${port} is out of range`);
  return { host, port };
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Whether binding `host` can only be reached from this machine: `localhost` or a loopback address
 * literal. Other names are not (`127.example.com` resolves wherever its owner likes).
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  const family = isIP(h);
  if (family === 4) return h.startsWith('127.');
  if (family !== 6) return false;
  // Canonical form (`0:0:0:0:0:0:0:1` → `::1`, `::ffff:127.0.0.1` → `::ffff:7f00:1`).
  const canonical = new URL(`http://[${h}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

export function listenList(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}
