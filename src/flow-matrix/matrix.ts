// The service dependency matrix (docs/architecture.md#flow-matrix): who serves whom, by process.
// Rules: a connected TCP socket is the server end when its holder listens on its local port; its
// peer is the socket with the mirrored endpoints — on the same holder (namespace) when the address
// is loopback, else on any holder, preferring the one owning the address. A connected UDP socket
// is a client of the holder owning its remote address, when that holder listens on the port.
// Flows (sFlow/NetFlow/IPFIX/mirror) join sockets by 5-tuple and name the ends no agent reports
// by their IP. Rows are deduplicated: the client port never counts.
import { endpointsKey, isConnected, isListening, isLoopback, isWildcard, type Socket } from '../topology/sockets.ts';
import type { GraphView, Holder } from './holders.ts';

export const CSV_COLUMNS = [
  'protocol',
  'server',
  'server_ip',
  'port',
  'server_proc',
  'server_procname',
  'client',
  'client_ip',
  'client_proc',
  'client_procname',
] as const;

export interface MatrixRow {
  protocol: string;
  server: string;
  server_ip: string;
  port: number;
  server_proc: string;
  server_procname: string;
  client: string;
  client_ip: string;
  client_proc: string;
  client_procname: string;
  /** Host node IDs of both ends ('' when known only by IP): what `host=` filters on. */
  serverHostId: string;
  clientHostId: string;
}

/** The 5-tuple of one flow direction (collectors' flow rows carry these fields). */
export interface FlowTuple {
  proto: number;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
}

export interface MatrixOptions {
  /** Also list connections whose other end no agent reports (that end named by IP). */
  listNoPeers?: boolean;
  /** Flows to join to the sockets (`--use-flows`). */
  flows?: FlowTuple[];
}

interface End {
  holder: Holder;
  socket: Socket;
}

const PROTO: Record<number, string> = { 6: 'TCP', 17: 'UDP' };

class Index {
  /** endpointsKey(local, remote) → connected sockets with exactly those endpoints. */
  readonly connected = new Map<string, End[]>();
  /** holder id → its listening sockets. */
  readonly listening = new Map<string, Socket[]>();
  /** address → holders owning it. */
  readonly owners = new Map<string, Holder[]>();

  constructor(readonly view: GraphView) {
    for (const h of view.holders) {
      const ls: Socket[] = [];
      for (const s of h.sockets) {
        if (isListening(s)) ls.push(s);
        else if (isConnected(s)) {
          const k = endpointsKey(s.Protocol, s.LocalAddress, s.LocalPort, s.RemoteAddress, s.RemotePort);
          const l = this.connected.get(k);
          if (l) l.push({ holder: h, socket: s });
          else this.connected.set(k, [{ holder: h, socket: s }]);
        }
      }
      this.listening.set(h.id, ls);
      for (const a of h.addrs) {
        const o = this.owners.get(a);
        if (o) o.push(h);
        else this.owners.set(a, [h]);
      }
    }
  }

  /** The holder's listening socket for proto/port reachable at addr (bound to it or to any address). */
  listener(h: Holder, proto: string, addr: string, port: number): Socket | undefined {
    const ls = this.listening.get(h.id) ?? [];
    return (
      ls.find((s) => s.Protocol === proto && s.LocalPort === port && s.LocalAddress === addr) ??
      ls.find((s) => s.Protocol === proto && s.LocalPort === port && isWildcard(s.LocalAddress))
    );
  }

  /** The other end of a connection seen from `from` (same namespace for loopback). */
  peer(from: End): End | undefined {
    const s = from.socket;
    const cands = this.connected.get(endpointsKey(s.Protocol, s.RemoteAddress, s.RemotePort, s.LocalAddress, s.LocalPort)) ?? [];
    const ok = cands.filter((c) => c.socket !== s && (!isLoopback(s.RemoteAddress) || c.holder.id === from.holder.id));
    return ok.find((c) => c.holder.addrs.has(s.RemoteAddress)) ?? ok[0];
  }

  /** Holders owning an address; loopback belongs to the asking holder only. */
  ownersOf(addr: string, asking?: Holder): Holder[] {
    if (isLoopback(addr)) return asking ? [asking] : [];
    return this.owners.get(addr) ?? [];
  }

  /** A host known only by an address: its name from any node carrying it, else the address. */
  byIp(addr: string): { host: string; hostId: string } {
    const o = this.owners.get(addr)?.[0];
    if (o) return { host: o.host, hostId: o.hostId };
    return this.view.hostByAddr.get(addr) ?? { host: addr, hostId: '' };
  }
}

function row(
  proto: string,
  server: End | { host: string; hostId: string },
  ip: string,
  port: number,
  sp: Socket | undefined,
  client: End | { host: string; hostId: string },
  cip: string,
  cp: Socket | undefined,
): MatrixRow {
  const sh = 'holder' in server ? server.holder : server;
  const ch = 'holder' in client ? client.holder : client;
  return {
    protocol: proto,
    server: sh.host,
    server_ip: ip,
    port,
    server_proc: sp?.Process ?? '',
    server_procname: sp?.Name ?? '',
    client: ch.host,
    client_ip: cip,
    client_proc: cp?.Process ?? '',
    client_procname: cp?.Name ?? '',
    serverHostId: sh.hostId,
    clientHostId: ch.hostId,
  };
}

/** The server end's process: its connected socket's, else the listener's (a forking server's child may be unnamed). */
const proc = (s: Socket, l: Socket | undefined) => (s.Process || s.Name ? s : l);

export function computeMatrix(view: GraphView, opts: MatrixOptions = {}): MatrixRow[] {
  const ix = new Index(view);
  const rows = new Map<string, MatrixRow>();
  const add = (r: MatrixRow) => {
    const k = CSV_COLUMNS.map((c) => r[c]).join('\u0000');
    if (!rows.has(k)) rows.set(k, r);
  };

  for (const h of view.holders) {
    for (const s of h.sockets) {
      if (!isConnected(s)) continue;
      const me: End = { holder: h, socket: s };
      if (s.Protocol === 'TCP') {
        const l = ix.listener(h, 'TCP', s.LocalAddress, s.LocalPort);
        const p = ix.peer(me);
        if (l) {
          if (p) add(row('TCP', me, s.LocalAddress, s.LocalPort, proc(s, l), p, s.RemoteAddress, p.socket));
          else if (opts.listNoPeers)
            add(row('TCP', me, s.LocalAddress, s.LocalPort, proc(s, l), ix.byIp(s.RemoteAddress), s.RemoteAddress, undefined));
        } else if (!p && opts.listNoPeers) {
          // A client whose server no agent reports (with a peer, the server end's turn adds the row).
          add(row('TCP', ix.byIp(s.RemoteAddress), s.RemoteAddress, s.RemotePort, undefined, me, s.LocalAddress, s));
        }
        continue;
      }
      if (s.Protocol !== 'UDP') continue;
      // UDP has no server-side connection: the server is the holder owning the remote address.
      let served = false;
      for (const o of ix.ownersOf(s.RemoteAddress, h)) {
        const l = ix.listener(o, 'UDP', s.RemoteAddress, s.RemotePort);
        if (!l) continue;
        add(row('UDP', { holder: o, socket: l }, s.RemoteAddress, s.RemotePort, l, me, s.LocalAddress, s));
        served = true;
      }
      if (!served && opts.listNoPeers)
        add(row('UDP', ix.byIp(s.RemoteAddress), s.RemoteAddress, s.RemotePort, undefined, me, s.LocalAddress, s));
    }
  }
  for (const f of opts.flows ?? []) joinFlow(ix, f, add);
  return [...rows.values()].sort(compareRows);
}

/** The socket at one end of a flow: connected with these endpoints, or (UDP) bound to the port unconnected. */
function endOf(ix: Index, proto: string, la: string, lp: number, ra: string, rp: number): End | undefined {
  const c = ix.connected.get(endpointsKey(proto, la, lp, ra, rp));
  if (c && c.length > 0) return c.find((e) => e.holder.addrs.has(la)) ?? c[0];
  if (proto !== 'UDP') return undefined;
  for (const o of ix.ownersOf(la)) {
    const l = ix.listener(o, 'UDP', la, lp);
    if (l) return { holder: o, socket: l };
  }
  return undefined;
}

/** Whether this end serves the flow's port: its holder (or the address's owner) listens on it. */
function serverAt(ix: Index, proto: string, e: End | undefined, addr: string, port: number): { holder: Holder; l: Socket } | undefined {
  const hs = e ? [e.holder] : ix.ownersOf(addr);
  for (const h of hs) {
    const l = ix.listener(h, proto, addr, port);
    if (l) return { holder: h, l };
  }
  return undefined;
}

function joinFlow(ix: Index, f: FlowTuple, add: (r: MatrixRow) => void): void {
  const proto = PROTO[f.proto];
  // Loopback flows cannot be placed on a host: only sockets can (same-namespace rule above).
  if (!proto || isLoopback(f.srcAddr) || isLoopback(f.dstAddr)) return;
  const src = endOf(ix, proto, f.srcAddr, f.srcPort, f.dstAddr, f.dstPort);
  const dst = endOf(ix, proto, f.dstAddr, f.dstPort, f.srcAddr, f.srcPort);
  if (!src && !dst) return;
  // Either direction of a conversation: the server is the end listening on its port.
  for (const [s, sAddr, sPort, c, cAddr] of [
    [dst, f.dstAddr, f.dstPort, src, f.srcAddr],
    [src, f.srcAddr, f.srcPort, dst, f.dstAddr],
  ] as const) {
    const srv = serverAt(ix, proto, s, sAddr, sPort);
    if (srv) {
      const sEnd: End = s ?? { holder: srv.holder, socket: srv.l };
      const client = c ?? ix.byIp(cAddr);
      add(row(proto, sEnd, sAddr, sPort, proc(sEnd.socket, srv.l), client, cAddr, c?.socket));
      return;
    }
  }
  // Only one end reported, and it does not listen on its port: it is the client of a server no
  // agent reports, named by its IP.
  const only = src && !dst ? ([src, f.dstAddr, f.dstPort] as const) : dst && !src ? ([dst, f.srcAddr, f.srcPort] as const) : undefined;
  if (only && isConnected(only[0].socket)) {
    const [c, sAddr, sPort] = only;
    add(row(proto, ix.byIp(sAddr), sAddr, sPort, undefined, c, c.socket.LocalAddress, c.socket));
  }
}

function compareRows(a: MatrixRow, b: MatrixRow): number {
  for (const c of CSV_COLUMNS) {
    const x = a[c];
    const y = b[c];
    if (x !== y) return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Rows touching a host (by host node ID or name) at either end. */
export function rowsOfHost(rows: MatrixRow[], host: string): MatrixRow[] {
  return rows.filter((r) => r.serverHostId === host || r.clientHostId === host || r.server === host || r.client === host);
}
