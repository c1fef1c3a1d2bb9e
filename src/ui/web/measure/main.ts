// Renderer comparison page (not shipped): the same 5,000-node / 8,000-link fabric drawn by the
// Canvas2D renderer or by sigma.js (WebGL), with a scripted pan/zoom and optional state churn.
// bench/measure-renderers.ts drives it in headless Chromium and prints the figures.
import Graph from 'graphology';
import Sigma from 'sigma';
import { GraphModel } from '../model/graph-model.ts';
import { ViewModel } from '../model/view-model.ts';
import { CanvasRenderer } from '../render/canvas-renderer.ts';
import { NODE_FILL } from '../render/palette.ts';
import { St, type GEdge, type GNode } from '../model/types.ts';
import { PERF_SPEC, generateFabric } from '../fabric.ts';

const t0 = performance.now();
const which = new URLSearchParams(location.search).get('r') ?? 'canvas';
const fab = generateFabric(PERF_SPEC);
const g = new GraphModel();
g.reset(fab.nodes as GNode[], fab.edges as GEdge[]);
const vm = new ViewModel(g);
vm.expandAll = true;
vm.rebuild();

let frames = 0;
let drawMs = 0;
let firstRender = -1;
const count = () => {
  frames++;
  if (firstRender < 0) firstRender = performance.now() - t0;
};
let setView: (p: number) => void;
let setState: (i: number, s: St) => void;

if (which === 'sigma') {
  document.getElementById('canvas')!.remove();
  const graph = new Graph();
  vm.nodes.forEach((n) =>
    graph.addNode(n.id, { x: n.x, y: -n.y, size: n.kind === 'host' ? 2 : 6, color: NODE_FILL[n.state], label: n.label }),
  );
  vm.links.forEach((l) => graph.addEdgeWithKey(l.id, vm.nodes[l.a]!.id, vm.nodes[l.b]!.id, { color: '#7f95a8', size: 1 }));
  // `?labels=0` measures sigma without its label layer, its cheapest configuration.
  const labels = new URLSearchParams(location.search).get('labels') !== '0';
  const sigma = new Sigma(graph, document.getElementById('stage')!, { settings: { renderLabels: labels, labelRenderedSizeThreshold: 8 } });
  sigma.on('afterRender', count);
  const cam = sigma.getCamera();
  setView = (p) =>
    cam.setState({ x: 0.5 + Math.sin(p * 2 * Math.PI) / 3, y: 0.5, ratio: 2 ** (-1.5 * Math.abs(Math.sin(p * Math.PI))), angle: 0 });
  setState = (i, s) => graph.setNodeAttribute(vm.nodes[i]!.id, 'color', NODE_FILL[s]);
} else {
  document.getElementById('stage')!.remove();
  const r = new CanvasRenderer(document.getElementById('canvas') as HTMLCanvasElement);
  r.onAfterRender((ms) => {
    count();
    drawMs += ms;
  });
  r.setScene(vm);
  r.fit(undefined, false);
  const fit = { ...r.cam };
  const b = r.bounds()!;
  setView = (p) =>
    r.setCamera({
      ...fit,
      x: fit.x + (Math.sin(p * 2 * Math.PI) * (b.x1 - b.x0)) / 3,
      k: fit.k * 2 ** (1.5 * Math.abs(Math.sin(p * Math.PI))),
    });
  setState = (i, s) => {
    vm.nodes[i]!.state = s;
    r.invalidate();
  };
}

/** Scripted pan/zoom for `ms`, with `rate` state changes per second; frames counted by the after-render hook. */
async function run(ms: number, rate: number): Promise<{ frames: number; fps: number; firstRender: number; drawMs: number }> {
  const f0 = frames;
  const d0 = drawMs;
  const start = performance.now();
  let changes = 0;
  await new Promise<void>((done) => {
    const step = (t: number) => {
      const el = t - start;
      setView(el / ms);
      const due = Math.floor((el / 1000) * rate);
      for (; changes < due; changes++) setState((changes * 7919) % vm.nodes.length, changes % 2 ? St.Down : St.Up);
      if (el < ms) requestAnimationFrame(step);
      else done();
    };
    requestAnimationFrame(step);
  });
  const n = frames - f0;
  return { frames: n, fps: (n * 1000) / (performance.now() - start), firstRender, drawMs: n ? (drawMs - d0) / n : 0 };
}
(window as unknown as { measure: typeof run; ready: boolean }).measure = run;
(window as unknown as { ready: boolean }).ready = true;
