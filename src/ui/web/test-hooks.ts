// window.__canopy: what the browser tests and the bench read (state of displayed elements, frame
// counts, a scripted pan/zoom). Reads the live view model; changes nothing on its own.
import type { App } from './app.ts';
import { St } from './model/types.ts';

export interface PanZoomResult {
  frames: number;
  fps: number;
  ms: number;
}

export function installTestHooks(app: App): void {
  const api = {
    app,
    stats: () => ({
      nodes: app.vm.nodes.length,
      links: app.vm.links.length,
      frames: app.r.frames,
      syncs: app.syncs,
      events: app.eventsApplied,
      connected: app.sub.connected,
      firstRenderMs: app.firstRenderAt,
      kinds: app.vm.nodes.reduce<Record<string, number>>((a, n) => ((a[n.kind] = (a[n.kind] ?? 0) + 1), a), {}),
    }),
    node: (id: string) => {
      const i = app.vm.index.get(id);
      const v = i === undefined ? undefined : app.vm.nodes[i];
      return v
        ? { id: v.id, kind: v.kind, label: v.label, x: v.x, y: v.y, state: v.state, dim: v.dim, screen: app.r.toScreen(v.x, v.y) }
        : null;
    },
    /** The displayed link between two displayed elements (order-free). */
    link: (a: string, b: string) => {
      const i = app.vm.linkIndex.get(a < b ? `${a}|${b}` : `${b}|${a}`);
      const l = i === undefined ? undefined : app.vm.links[i];
      return l ? { state: l.state, util: l.util, edges: l.edges.length } : null;
    },
    byLabel: (label: string) => app.vm.nodes.find((n) => n.label === label)?.id ?? null,
    /** Every displayed node with its screen box (square of its glyph), for layout checks. */
    screenNodes: () =>
      app.vm.nodes.map((v) => {
        const [x, y] = app.r.toScreen(v.x, v.y);
        return { id: v.id, kind: v.kind, label: v.label, x, y };
      }),
    /** IDs of the displayed nodes whose label the last frame drew, and the tier captions drawn. */
    labelled: () => app.r.labelled.map((i) => app.vm.nodes[i]?.id),
    captions: () => [...app.r.captionsDrawn],
    /** Link counts behind the header (the whole graph, whatever is collapsed). */
    counts: () => ({ ...app.vm.counts }),
    canvas: () => ({ ...app.r.size }),
    St: { Unknown: St.Unknown, Up: St.Up, Degraded: St.Degraded, Down: St.Down },
    /** Scripted pan/zoom over the whole scene; frames are the renderer's after-render count. */
    panZoom: async (ms: number): Promise<PanZoomResult> => {
      const r = app.r;
      r.fit(undefined, false);
      const fit = { ...r.cam };
      const b = r.bounds();
      const span = b ? b.x1 - b.x0 : 1000;
      const f0 = r.frames;
      const start = performance.now();
      await new Promise<void>((done) => {
        const step = (t: number) => {
          const p = (t - start) / ms;
          r.setCamera({
            ...fit,
            x: fit.x + (Math.sin(p * 2 * Math.PI) * span) / 3,
            k: fit.k * 2 ** (1.5 * Math.abs(Math.sin(p * Math.PI))),
          });
          if (p < 1) requestAnimationFrame(step);
          else done();
        };
        requestAnimationFrame(step);
      });
      const el = performance.now() - start;
      const frames = r.frames - f0;
      return { frames, fps: (frames * 1000) / el, ms: el };
    },
  };
  (window as unknown as { __canopy: typeof api }).__canopy = api;
}
