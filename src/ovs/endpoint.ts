// OVSDB endpoint strings in Open vSwitch's own form (tcp:IP:PORT, ssl:IP:PORT, unix:PATH) and the
// socket each one opens; ssl: uses the configured client certificate and verifies the server
// against the configured CA, as ovs-vsctl --private-key/--certificate/--ca-cert do.
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { OvsdbConfig } from './config.ts';

export type Endpoint = { kind: 'tcp' | 'ssl'; host: string; port: number; text: string } | { kind: 'unix'; path: string; text: string };

export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path) throw new Error(`${text}: unix: needs a path`);
    return { kind: 'unix', path, text };
  }
  const m = /^(tcp|ssl):(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`${text}: expected tcp:IP:PORT, ssl:IP:PORT or unix:PATH`);
  const port = Number(m[4]);
  if (port < 1 || port > 65535) throw new Error(`${text}: port out of range`);
  return { kind: m[1] as 'tcp' | 'ssl', host: (m[2] ?? m[3])!, port, text };
}

/** Opens the socket; resolves once it is connected (and, for ssl:, the handshake verified). */
export function openSocket(ep: Endpoint, tls: OvsdbConfig['tls'], timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let sock: Socket;
    const ready = ep.kind === 'ssl' ? 'secureConnect' : 'connect';
    if (ep.kind === 'unix') sock = netConnect({ path: ep.path });
    else if (ep.kind === 'tcp') sock = netConnect({ host: ep.host, port: ep.port });
    else {
      if (!tls) return reject(new Error(`${ep.text}: ssl: endpoints need ovsdb.tls {key, cert, caCert}`));
      sock = tlsConnect({
        host: ep.host,
        port: ep.port,
        key: readFileSync(tls.key),
        cert: readFileSync(tls.cert),
        ca: readFileSync(tls.caCert),
        // OVS certificates name the switch, not its address; the CA is what vouches for it.
        checkServerIdentity: () => undefined,
      });
    }
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${ep.text}: connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    sock.once('error', onError);
    sock.once(ready, () => {
      clearTimeout(timer);
      sock.off('error', onError);
      sock.setNoDelay?.(true);
      resolve(sock);
    });
  });
}
