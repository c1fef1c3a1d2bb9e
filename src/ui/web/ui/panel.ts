// Side panel for the selected element: metadata (a host's MACs and addresses, a switch's
// SysDescr and uptime), counters, ports/links with their state, and the top flows
// (GET /api/flows?node=ID&top=10: "no flow data" only when that answers an empty list); a port's
// last hour as a sparkline and a switch's busiest links (GET /api/metrics, docs/architecture.md#port-metrics).
import type { GraphModel } from '../model/graph-model.ts';
import { endState, errorRatio, linkState, utilisation } from '../model/state.ts';
import { St, type Metadata } from '../model/types.ts';
import type { VNode, ViewModel } from '../model/view-model.ts';
import { hostMatrixSvg, portSeries, topFlows, type FlowAnswer } from '../net/api.ts';
import { rate, sparkline } from './sparkline.ts';
import { describeFlow, describeNode, flowSource } from './describe.ts';
import { h } from './dom.ts';

const STATE_NAME: Record<St, string> = { [St.Unknown]: 'unknown', [St.Up]: 'up', [St.Degraded]: 'degraded', [St.Down]: 'down' };

function bytes(n: number): string {
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

const dot = (s: St) => h('span', { class: `dot s${s}`, title: STATE_NAME[s] });

export class Panel {
  private seq = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly g: GraphModel,
    private readonly vm: ViewModel,
    private readonly actions: { expand(v: VNode): void; toggleContainers(gid: string): void; close(): void },
  ) {}

  clear(): void {
    this.root.replaceChildren();
    this.root.hidden = true;
  }

  /**
   * Shows a displayed element. `focus` is the graph node that was asked for (search): when it is
   * one of a switch's ports, the panel adds that port and its flows instead of the whole switch's.
   */
  show(v: VNode, focus?: string): void {
    const seq = ++this.seq;
    this.root.hidden = false;
    const close = h('button', { class: 'close', title: 'close' }, '×');
    close.onclick = () => this.actions.close();
    const head = h(
      'div',
      { class: 'phead' },
      dot(v.state),
      h('h2', {}, v.kind === 'group' ? `${v.members?.length ?? 0} ${v.tor?.startsWith('pods:') ? 'pods' : 'hosts'}` : v.label),
      close,
    );
    const body: Node[] = [head];
    if (v.members) {
      const tor = v.tor ? this.g.nodes.get(v.tor.replace(/^pods:/, ''))?.Metadata.Name : undefined;
      body.push(h('p', {}, `under ${String(tor ?? v.tor)}`));
      const counts = new Map<St, number>();
      for (const m of v.members) {
        const s = this.vm.deviceState(m);
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      body.push(
        h(
          'p',
          {},
          ...[St.Down, St.Degraded, St.Up].map((s) => h('span', { class: 'count' }, dot(s), ` ${counts.get(s) ?? 0} ${STATE_NAME[s]} `)),
        ),
      );
      const b = h('button', {}, 'Expand hosts');
      b.onclick = () => this.actions.expand(v);
      body.push(b);
      this.root.replaceChildren(...body);
      return;
    }
    const gid = v.gid!;
    const md = this.g.nodes.get(gid)?.Metadata ?? {};
    body.push(this.metaTable(gid));
    if (v.kind === 'host' || md.Type === 'host') {
      const b = h('button', {}, this.vm.expandedHosts.has(gid) ? 'Hide containers' : 'Show containers');
      b.onclick = () => this.actions.toggleContainers(gid);
      body.push(b);
    }
    const port =
      focus !== undefined && focus !== gid && this.g.owner.get(focus) === gid && this.g.nodes.get(focus)?.Metadata.Type === 'port'
        ? focus
        : undefined;
    if (port !== undefined)
      body.push(
        h('div', { class: 'port' }, h('h3', {}, `Port ${String(this.g.nodes.get(port)?.Metadata.Name ?? port)}`), this.metaTable(port)),
      );
    body.push(this.counters(port !== undefined ? (this.g.nodes.get(port)?.Metadata ?? {}) : md));
    if (port !== undefined || md.Type === 'port')
      body.push(h('div', { class: 'series' }, h('h3', {}, 'Last hour'), this.spark(port ?? gid, seq)));
    else body.push(this.busiest(gid, seq));
    body.push(this.ports(gid));
    const title = port !== undefined ? `Top flows on ${String(this.g.nodes.get(port)?.Metadata.Name ?? port)}` : 'Top flows';
    const flows = h('div', { class: 'flows' }, h('h3', {}, title), h('p', { class: 'muted' }, 'loading…'));
    body.push(flows);
    if (md.Type === 'host') body.push(this.matrix(gid, seq));
    this.root.replaceChildren(...body);
    void topFlows(port ?? gid).then((a) => {
      if (seq === this.seq) flows.replaceChildren(h('h3', {}, title), this.flowTable(a));
    });
  }

  /** A host's service dependencies (its flow matrix as SVG), filled in once the collector answers. */
  private matrix(gid: string, seq: number): HTMLElement {
    const title = h('h3', {}, 'Service dependencies');
    const el = h('div', { class: 'flow-matrix', 'data-node': gid }, title, h('p', { class: 'muted' }, 'loading…'));
    void hostMatrixSvg(gid).then((a) => {
      if (seq !== this.seq) return;
      if (a.kind === 'svg') el.replaceChildren(title, a.svg);
      else if (a.kind === 'empty') el.replaceChildren(title, h('p', { class: 'muted' }, 'no connections known (needs a host agent)'));
      else el.replaceChildren(title, h('p', { class: 'err' }, `flow matrix unavailable: ${a.message}`));
    });
    return el;
  }

  /** A placeholder filled with the port's sparkline once GET /api/metrics answers (if the panel still shows it). */
  private spark(id: string, seq: number): HTMLElement {
    const el = h('span', { class: 'spark-slot', 'data-node': id }, h('span', { class: 'muted' }, '…'));
    void portSeries(id).then((a) => {
      if (seq !== this.seq) return;
      if (a.kind === 'error') el.replaceChildren(h('span', { class: 'err' }, a.message));
      else if (a.points.length === 0) el.replaceChildren(h('span', { class: 'muted' }, 'no counter readings'));
      else el.replaceChildren(sparkline(a.points, a.step, a.from, a.to));
    });
    return el;
  }

  /** A device's five wired ports carrying the most (latest interval, in or out), with their last hour. */
  private busiest(gid: string, seq: number): HTMLElement {
    const ports: { id: string; bps: number; peer: string }[] = [];
    for (const c of this.g.children.get(gid) ?? []) {
      const wires = this.g.wires.get(c);
      if (!wires?.size) continue;
      const m = this.g.nodes.get(c)?.Metadata.LastUpdateMetric as Metadata | undefined;
      const secs = m ? (Number(m.Last) - Number(m.Start)) / 1000 : 0;
      if (!m || !(secs > 0)) continue;
      const bps = (Math.max(Number(m.RxBytes ?? 0), Number(m.TxBytes ?? 0)) * 8) / secs;
      const e = this.g.edges.get([...wires][0]!);
      const peer = e ? (e.Parent === c ? e.Child : e.Parent) : '';
      const top = peer ? this.g.climb(peer).top : '';
      ports.push({ id: c, bps, peer: String(this.g.nodes.get(top)?.Metadata.Name ?? top) });
    }
    if (ports.length === 0) return h('div');
    ports.sort((a, b) => b.bps - a.bps);
    const rows = ports
      .slice(0, 5)
      .map((p) =>
        h(
          'tr',
          {},
          h('td', {}, String(this.g.nodes.get(p.id)?.Metadata.Name ?? p.id)),
          h('td', {}, p.peer),
          h('td', { class: 'num' }, rate(p.bps)),
          h('td', {}, this.spark(p.id, seq)),
        ),
      );
    return h('div', { class: 'busiest' }, h('h3', {}, 'Busiest links'), h('table', { class: 'ports' }, ...rows));
  }

  private flowTable(a: FlowAnswer): HTMLElement {
    if (a.kind === 'no-api') return h('p', { class: 'muted' }, 'no flow data (this collector has no flow listener)');
    if (a.kind === 'error') return h('p', { class: 'err' }, `flows unavailable: ${a.message}`);
    if (a.rows.length === 0) return h('p', { class: 'muted' }, 'no flow data');
    const rows = a.rows.map((f) => {
      const d = describeFlow(f);
      return h(
        'tr',
        {},
        h('td', {}, d.src),
        h('td', {}, d.dst),
        h('td', { title: f.proto !== undefined ? `protocol ${f.proto}` : '' }, d.proto),
        h('td', { class: 'num' }, bytes(f.bytes)),
        h('td', {}, flowSource(f)),
      );
    });
    return h(
      'table',
      { class: 'flow-rows' },
      h('tr', {}, h('th', {}, 'src'), h('th', {}, 'dst'), h('th', {}, 'proto'), h('th', { class: 'num' }, 'bytes'), h('th', {}, 'source')),
      ...rows,
    );
  }

  private metaTable(gid: string): HTMLElement {
    return h('table', { class: 'meta' }, ...describeNode(this.g, gid).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));
  }

  private counters(md: Metadata): HTMLElement {
    const m = (md.Metric ?? md.LastUpdateMetric) as Metadata | undefined;
    if (!m) return h('div');
    const keys = ['RxBytes', 'TxBytes', 'RxPackets', 'TxPackets', 'RxErrors', 'TxErrors', 'RxDropped', 'TxDropped'];
    return h(
      'div',
      {},
      h('h3', {}, 'Counters'),
      h(
        'table',
        { class: 'meta' },
        ...keys.filter((k) => m[k] !== undefined).map((k) => h('tr', {}, h('th', {}, k), h('td', { class: 'num' }, String(m[k])))),
      ),
    );
  }

  /** Ports/NICs that are wired, with their state, load and the peer at the other end. */
  private ports(gid: string): HTMLElement {
    const rows: HTMLElement[] = [];
    const kids = [...(this.g.children.get(gid) ?? [])].filter((c) => this.g.wires.get(c)?.size);
    kids.sort((a, b) => Number(this.g.nodes.get(a)?.Metadata.IfIndex ?? 0) - Number(this.g.nodes.get(b)?.Metadata.IfIndex ?? 0));
    for (const c of kids.slice(0, 200)) {
      const pm = this.g.nodes.get(c)?.Metadata;
      for (const eid of this.g.wires.get(c) ?? []) {
        const e = this.g.edges.get(eid);
        if (!e) continue;
        const peer = e.Parent === c ? e.Child : e.Parent;
        const peerMd = this.g.nodes.get(peer)?.Metadata;
        const peerTop = this.g.climb(peer).top;
        const peerName = `${String(this.g.nodes.get(peerTop)?.Metadata.Name ?? peerTop)}${peerTop !== peer ? ` ${String(peerMd?.Name ?? '')}` : ''}`;
        const ls = linkState(e.Metadata, pm, peerMd);
        rows.push(
          h(
            'tr',
            {},
            h('td', {}, dot(endState(pm)), ` ${String(pm?.Name ?? c)}`),
            h('td', {}, dot(ls), ` ${peerName}`),
            h('td', { class: 'num' }, `${(utilisation(pm) * 100).toFixed(0)}%`),
            h('td', { class: 'num' }, errorRatio(pm) > 0 ? `${(errorRatio(pm) * 100).toFixed(2)}%` : '0%'),
          ),
        );
      }
    }
    if (rows.length === 0) return h('div');
    return h(
      'div',
      {},
      h('h3', {}, 'Links'),
      h(
        'table',
        { class: 'ports' },
        h('tr', {}, h('th', {}, 'port'), h('th', {}, 'peer'), h('th', { class: 'num' }, 'load'), h('th', { class: 'num' }, 'errors')),
        ...rows,
      ),
    );
  }
}
