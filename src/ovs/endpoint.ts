// OVSDB endpoint strings in Open vSwitch's own form (tcp:IP:PORT, ssl:IP:PORT, unix:PATH) and the
// socket each one opens; ssl: uses the configured client certificate and verifies the server
// against the configured CA, as ovs-vsctl --private-key/--certificate/--ca-cert do. agent:HOST is
// ours: the byte stream the host agent relays to its local OVSDB (AgentHub.openOvsdb).
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { OvsdbConfig } from './config.ts';

export type Endpoint =
  | { kind: 'tcp' | 'ssl'; host: string; port: number; text: string }
  | { kind: 'unix'; path: string; text: string }
  | { kind: 'agent'; agentHost: string; text: string };

/** Opens the relayed stream of an `agent:HOST` endpoint; `localAddress`: ours on the agent's connection. */
export type AgentOpener = (host: string) => Promise<{ stream: Duplex; localAddress?: string | undefined }>;

export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('agent:')) {
    const agentHost = text.slice(6);
    if (!agentHost || /\s/.test(agentHost)) throw new Error(`${text}: agent: needs the agent's host name`);
    return { kind: 'agent', agentHost, text };
  }
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

/**
 * Opens the stream; resolves once it is connected (and, for ssl:, the handshake verified; for
 * agent:, the agent has dialled back). `localAddress`: ours, as the server (or the agent) sees us.
 */
export async function openStream(
  ep: Endpoint,
  tls: OvsdbConfig['tls'],
  timeoutMs: number,
  openAgent: AgentOpener | undefined,
): Promise<{ stream: Duplex; localAddress: string | undefined }> {
  if (ep.kind === 'agent') {
    if (!openAgent) throw new Error(`${ep.text}: no host agents here (the agents component is off)`);
    const r = await openAgent(ep.agentHost);
    return { stream: r.stream, localAddress: r.localAddress };
  }
  const sock = await openSocket(ep, tls, timeoutMs);
  return { stream: sock, localAddress: ep.kind === 'unix' ? undefined : sock.localAddress };
}

/** Opens the socket; resolves once it is connected (and, for ssl:, the handshake verified). */
export function openSocket(ep: Exclude<Endpoint, { kind: 'agent' }>, tls: OvsdbConfig['tls'], timeoutMs: number): Promise<Socket> {
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
