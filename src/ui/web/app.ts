// The wall display: live graph → view model → renderer, with search, filter, time travel, panel
// and kiosk cycling wired to the DOM in index.html.
import { GraphModel, type ChangeSummary } from './model/graph-model.ts';
import { St, type GEdge, type GNode } from './model/types.ts';
import { ViewModel, type VNode } from './model/view-model.ts';
import { CanvasRenderer } from './render/canvas-renderer.ts';
import { SubscriberClient } from './net/subscriber.ts';
import { Unauthorized, flowPathNodes, gremlin, idsIn } from './net/api.ts';
import { SearchIndex } from './ui/search.ts';
import { Panel } from './ui/panel.ts';
import { $, h } from './ui/dom.ts';
import { BUILTIN_VIEWS, fitFilter, loadViews, saveView, type SavedView } from './ui/views.ts';
import { linkSummary } from './ui/summary.ts';

/** Time-travel slider stops, seconds into the past (the last one is "now"). */
const STEPS = [7 * 86400, 3 * 86400, 86400, 12 * 3600, 6 * 3600, 3600, 1800, 900, 300, 60, 0];
const STEP_LABEL = ['-7d', '-3d', '-1d', '-12h', '-6h', '-1h', '-30m', '-15m', '-5m', '-1m', 'now'];
/** Structural changes (nodes/links appearing) are folded together at most this often. */
const REBUILD_MS = 200;

export interface AppOptions {
  kiosk: boolean;
  cycleSeconds: number;
  expandAll: boolean;
  /** Filter applied once the graph is loaded (`?path=SRC,DST` → "path SRC DST"). */
  filter?: string;
}

export class App {
  readonly g = new GraphModel();
  readonly vm = new ViewModel(this.g);
  readonly r: CanvasRenderer;
  readonly sub: SubscriberClient;
  readonly search = new SearchIndex(this.g);
  private readonly panel: Panel;
  private selectedId: string | undefined;
  private pending: ChangeSummary = { structural: false, touched: new Set() };
  private flushTimer: number | undefined;
  private lastRebuild = 0;
  private synced = false;
  private filterQuery = '';
  /** performance.now() of the first frame drawn with the first snapshot. */
  firstRenderAt = -1;
  syncs = 0;
  eventsApplied = 0;

  constructor(private readonly opts: AppOptions) {
    this.vm.expandAll = opts.expandAll;
    this.r = new CanvasRenderer($('graph') as HTMLCanvasElement);
    if (opts.kiosk) {
      document.body.classList.add('kiosk');
      this.r.fontScale = 1.8;
    }
    this.r.insets = () => this.chromeInsets();
    this.r.onAfterRender(() => {
      if (this.firstRenderAt < 0 && this.synced) this.firstRenderAt = performance.now();
    });
    this.panel = new Panel($('panel'), this.g, this.vm, {
      expand: (v) => {
        if (v.tor) this.vm.expandedTors.add(v.tor);
        this.rebuild();
        this.select(v.members?.[0]);
      },
      toggleContainers: (gid) => {
        if (!this.vm.expandedHosts.delete(gid)) this.vm.expandedHosts.add(gid);
        this.rebuild();
        this.select(gid);
      },
      close: () => this.select(undefined),
    });
    this.sub = new SubscriberClient({
      onSync: (n, e) => this.onSync(n, e),
      onEvent: (t, o) => this.onEvent(t, o),
      onStatus: (up) => ($('disconnected').hidden = up),
    });
    window.addEventListener('resize', () => {
      this.r.resize();
      if (opts.kiosk) this.r.fit(this.currentFit(), false);
    });
    this.r.canvas.addEventListener('node-click', (e) => this.onClick((e as CustomEvent<{ index: number; dbl: boolean }>).detail));
    if (!opts.kiosk) this.bindChrome();
    window.setInterval(() => this.tick(), 1000);
  }

  start(): void {
    this.sub.start();
    if (this.opts.kiosk) this.startCycle();
  }

  private onSync(nodes: GNode[], edges: GEdge[]): void {
    this.g.reset(nodes, edges);
    this.rebuild();
    if (!this.synced || this.opts.kiosk) this.r.fit(this.currentFit(), false);
    if (!this.synced && this.opts.filter) {
      ($('filter') as HTMLInputElement).value = this.opts.filter;
      void this.applyFilter(this.opts.filter).catch(() => {});
    }
    this.synced = true;
    this.syncs++;
  }

  private onEvent(type: string, obj: GNode | GEdge): void {
    this.g.apply(type, obj, this.pending);
    this.eventsApplied++;
    if (this.flushTimer === undefined) this.flushTimer = window.setTimeout(() => this.flush(), 16);
  }

  /** Applies what the feed changed: state-only changes touch their elements; shape changes rebuild. */
  private flush(): void {
    this.flushTimer = undefined;
    const p = this.pending;
    if (p.structural) {
      const wait = this.lastRebuild + REBUILD_MS - performance.now();
      if (wait > 0) {
        this.flushTimer = window.setTimeout(() => this.flush(), wait);
        return;
      }
      this.pending = { structural: false, touched: new Set() };
      this.rebuild();
      return;
    }
    this.pending = { structural: false, touched: new Set() };
    this.vm.refresh(p.touched);
    this.r.invalidate();
    this.updateCounts();
  }

  rebuild(): void {
    this.lastRebuild = performance.now();
    this.vm.rebuild();
    this.search.invalidate();
    this.r.setScene(this.vm);
    this.r.selected = this.selectedId !== undefined ? (this.vm.index.get(this.selectedId) ?? -1) : -1;
    this.updateCounts();
  }

  /** Links down/degraded in the whole graph (not the folded display), in the header and the bar. */
  private updateCounts(): void {
    const c = this.vm.counts;
    const text = linkSummary(c);
    $('counts').textContent = `${this.vm.nodes.length} nodes · ${this.vm.links.length} links shown`;
    for (const el of document.querySelectorAll('.summary')) {
      el.replaceChildren(
        h('span', { class: c.down ? 'down' : '' }, text.down),
        h('span', { class: 'sep' }, ' · '),
        h('span', { class: c.degraded ? 'deg' : '' }, text.degraded),
      );
    }
  }

  /** Screen room covered by the page's chrome: fit() keeps the fabric clear of it. */
  private chromeInsets(): { top: number; right: number; bottom: number; left: number } {
    const box = (id: string) => {
      const el = document.getElementById(id);
      return el && el.offsetParent !== null ? el.getBoundingClientRect() : undefined;
    };
    const head = box(this.opts.kiosk ? 'kiosk-head' : 'bar');
    const legend = box('legend');
    const panel = box('panel');
    const { w, h: height } = this.r.size;
    return {
      top: head ? head.bottom + 6 : 0,
      bottom: legend ? height - legend.top + 6 : 0,
      right: panel ? w - panel.left : 0,
      left: 0,
    };
  }

  /** Selects a displayed element; `focus` is the graph node inside it that was asked for (a port found by search). */
  select(id: string | undefined, focus?: string): void {
    this.selectedId = id;
    const i = id === undefined ? -1 : (this.vm.index.get(id) ?? -1);
    this.r.selected = i;
    this.r.invalidate();
    if (i < 0 || this.opts.kiosk) this.panel.clear();
    else this.panel.show(this.vm.nodes[i]!, focus);
  }

  private onClick({ index, dbl }: { index: number; dbl: boolean }): void {
    const v = this.vm.nodes[index];
    if (!v) return this.select(undefined);
    if (v.kind === 'group' && v.tor) {
      this.vm.expandedTors.add(v.tor);
      this.rebuild();
      return this.select(undefined);
    }
    if (dbl && v.kind === 'host' && v.gid) {
      if (!this.vm.expandedHosts.delete(v.gid)) this.vm.expandedHosts.add(v.gid);
      this.rebuild();
    }
    this.select(v.id);
  }

  /** Reveals a graph node (expanding its group), selects what displays it and flies there. */
  flyToGraphNode(gid: string): VNode | undefined {
    if (this.vm.reveal(gid)) this.rebuild();
    const d = this.vm.displayOf(gid);
    const i = d === undefined ? undefined : this.vm.index.get(d);
    if (i === undefined) return undefined;
    const v = this.vm.nodes[i]!;
    this.select(v.id, gid);
    this.r.flyTo({ ...this.r.cam, x: v.x, y: v.y, k: Math.max(this.r.cam.k, 2.2) });
    return v;
  }

  async applyFilter(q: string): Promise<number> {
    this.filterQuery = q.trim();
    if (!this.filterQuery) {
      this.vm.setHighlight(null);
      this.r.invalidate();
      return 0;
    }
    // "path SRC DST": the observed path of the flows from SRC to DST (docs/flow-path.md).
    const path = /^path\s+(\S+)\s+(\S+)$/i.exec(this.filterQuery);
    const ids = path ? (await flowPathNodes(path[1]!, path[2]!)).nodes : idsIn(await gremlin(this.filterQuery));
    const n = this.vm.setHighlight(ids);
    this.r.invalidate();
    if (n > 0) this.r.fit((v) => !v.dim);
    return n;
  }

  private currentFit(): ((n: VNode) => boolean) | undefined {
    return this.cycleView ? fitFilter(this.cycleView.fit) : undefined;
  }

  private bindChrome(): void {
    const search = $('search') as HTMLInputElement;
    const results = $('results');
    let hits: ReturnType<SearchIndex['find']> = [];
    const pick = (i: number) => {
      const hit = hits[i];
      results.hidden = true;
      if (hit) this.flyToGraphNode(hit.gid);
    };
    search.addEventListener('input', () => {
      hits = this.search.find(search.value);
      results.replaceChildren(
        ...hits.map((hit, i) => {
          const row = h('div', {}, hit.label, h('small', {}, hit.detail));
          row.onclick = () => pick(i);
          return row;
        }),
      );
      results.hidden = hits.length === 0;
    });
    search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') pick(0);
      if (e.key === 'Escape') results.hidden = true;
    });
    const filter = $('filter') as HTMLInputElement;
    const msg = $('msg');
    const run = async () => {
      msg.className = '';
      try {
        const n = await this.applyFilter(filter.value);
        msg.textContent = filter.value.trim() ? `${n} shown` : '';
      } catch (e) {
        msg.className = 'err';
        msg.textContent = e instanceof Unauthorized ? 'log in again' : (e as Error).message;
      }
    };
    $('apply').onclick = () => void run();
    filter.addEventListener('keydown', (e) => e.key === 'Enter' && void run());
    $('clear').onclick = () => {
      filter.value = '';
      void run();
    };
    $('fit').onclick = () => this.r.fit();
    $('save').onclick = () => {
      const name = prompt('Name this view (kiosk mode cycles saved views)');
      if (name) saveView({ name, cam: { ...this.r.cam }, ...(this.filterQuery ? { filter: this.filterQuery } : {}) });
    };
    const slider = $('slider') as HTMLInputElement;
    slider.addEventListener('change', () => {
      const i = Number(slider.value);
      const secs = STEPS[i] ?? 0;
      $('when').textContent = STEP_LABEL[i] ?? 'now';
      this.sub.time = secs > 0 ? Date.now() - secs * 1000 : undefined;
      const past = $('past');
      past.hidden = secs === 0;
      past.textContent = `Viewing the graph as it was ${STEP_LABEL[i]} ago — live updates paused`;
      this.sub.resync();
    });
  }

  private cycleView: SavedView | undefined;

  private startCycle(): void {
    const views = [...BUILTIN_VIEWS, ...loadViews()];
    let i = 0;
    const show = () => {
      let v = views[i % views.length]!;
      // Skip the problems view while there are none.
      if (v.fit === 'problems' && !this.vm.nodes.some((n) => n.state >= St.Degraded)) v = views[++i % views.length]!;
      i++;
      this.cycleView = v;
      $('view-name').textContent = v.name;
      if (v.filter) void this.applyFilter(v.filter).catch(() => undefined);
      else if (this.filterQuery) void this.applyFilter('');
      if (v.cam) this.r.flyTo(v.cam);
      else this.r.fit(fitFilter(v.fit));
    };
    show();
    window.setInterval(show, Math.max(3, this.opts.cycleSeconds) * 1000);
  }

  private tick(): void {
    $('clock').textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
}
