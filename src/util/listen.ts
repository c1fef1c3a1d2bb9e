// `*.listen` values (docs/architecture.md#configuration-and-metrics): one address or a list, "host:port", "[v6]:port" or ":port";
// port 0 means an ephemeral port.

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

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function listenList(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}
