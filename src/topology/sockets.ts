// Skydive's `Sockets` node metadata (what host agents publish on host and netns nodes, see
// docs/architecture.md#agent), read defensively: the query language's Sockets() step and the flow
// matrix share these readers. Metadata may come from any publisher, so every field is checked.
import type { GraphNode } from './types.ts';

export interface Socket {
  Process: string;
  Pid: number;
  Name: string;
  LocalAddress: string;
  LocalPort: number;
  RemoteAddress: string;
  RemotePort: number;
  /** 'TCP' | 'UDP' (Skydive's older agents sent 2 for TCP: normalised here). */
  Protocol: string;
  State: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const port = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined);

function protocolOf(v: unknown): string {
  if (v === 'TCP' || v === 2 || v === 'tcp') return 'TCP';
  if (v === 'UDP' || v === 3 || v === 'udp') return 'UDP';
  return str(v).toUpperCase();
}

/** The well-formed entries of a node's Metadata.Sockets (others are skipped, never thrown on). */
export function socketsOf(n: Pick<GraphNode, 'Metadata'>): Socket[] {
  const list = n.Metadata.Sockets;
  if (!Array.isArray(list)) return [];
  const out: Socket[] = [];
  for (const s of list as unknown[]) {
    if (!s || typeof s !== 'object') continue;
    const r = s as Record<string, unknown>;
    const lp = port(r.LocalPort);
    const rp = port(r.RemotePort);
    if (lp === undefined || rp === undefined || typeof r.LocalAddress !== 'string' || typeof r.RemoteAddress !== 'string') continue;
    out.push({
      Process: str(r.Process),
      Pid: typeof r.Pid === 'number' ? r.Pid : 0,
      Name: str(r.Name),
      LocalAddress: r.LocalAddress,
      LocalPort: lp,
      RemoteAddress: r.RemoteAddress,
      RemotePort: rp,
      Protocol: protocolOf(r.Protocol),
      State: str(r.State),
    });
  }
  return out;
}

export const isWildcard = (a: string) => a === '0.0.0.0' || a === '::' || a === '';
export const isLoopback = (a: string) => a.startsWith('127.') || a === '::1';

/** A server socket: TCP LISTEN, or an unconnected bound UDP socket (Skydive: UDP CLOSE to 0.0.0.0). */
export function isListening(s: Socket): boolean {
  if (s.Protocol === 'TCP') return s.State === 'LISTEN';
  return s.Protocol === 'UDP' && s.State !== 'ESTABLISHED' && isWildcard(s.RemoteAddress) && s.RemotePort === 0;
}

export const isConnected = (s: Socket) => s.State === 'ESTABLISHED' && !isWildcard(s.RemoteAddress) && s.RemotePort !== 0;

/** Addresses without their prefix length ('10.0.0.1/24' → '10.0.0.1'); non-strings skipped. */
export function addressesOf(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const out: string[] = [];
  for (const a of list) {
    if (typeof a !== 'string' || a === '') continue;
    const slash = a.indexOf('/');
    out.push(slash < 0 ? a : a.slice(0, slash));
  }
  return out;
}

/** The key a connection is known by from one end: local then remote endpoint. */
export const endpointsKey = (proto: string, la: string, lp: number, ra: string, rp: number) => `${proto}|${la}|${lp}|${ra}|${rp}`;
