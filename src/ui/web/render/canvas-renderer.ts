// Canvas2D renderer (chosen over sigma.js/WebGL after measuring; see src/ui/README.md). Draws only
// when something changed (camera, state, scene), batches links and nodes into one path per
// colour/width bucket, culls what is off screen and shows labels only where they are legible.
import { St } from '../model/types.ts';
import type { VLink, VNode } from '../model/view-model.ts';
import { fitCamera, lerpCam, type Box, type Cam } from './camera.ts';
import { BG, LABEL_SIZE, LINK_WIDTH, MUTED, NODE_FILL, NODE_SIZE, TEXT, linkColour, utilLevel } from './palette.ts';

export interface Scene {
  nodes: VNode[];
  links: VLink[];
}

export interface TierCaption {
  y: number;
  text: string;
}

const MAX_LABELS = 600;

export class CanvasRenderer {
  readonly ctx: CanvasRenderingContext2D;
  cam: Cam = { x: 0, y: 0, k: 1 };
  scene: Scene = { nodes: [], links: [] };
  captions: TierCaption[] = [];
  selected = -1;
  /** Kiosk mode multiplies type sizes so labels read from across the room. */
  fontScale = 1;
  /** Frames actually drawn (the after-render hook's count). */
  frames = 0;
  private dirty = true;
  private raf = 0;
  private anim: { from: Cam; to: Cam; t0: number; ms: number } | undefined;
  private readonly after: ((ms: number) => void)[] = [];
  private w = 0;
  private h = 0;
  private dpr = 1;

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    this.resize();
    this.bindInput();
  }

  onAfterRender(cb: (ms: number) => void): void {
    this.after.push(cb);
  }

  resize(): void {
    this.dpr = window.devicePixelRatio || 1;
    this.w = this.canvas.clientWidth || window.innerWidth;
    this.h = this.canvas.clientHeight || window.innerHeight;
    this.canvas.width = Math.round(this.w * this.dpr);
    this.canvas.height = Math.round(this.h * this.dpr);
    this.invalidate();
  }

  get size(): { w: number; h: number } {
    return { w: this.w, h: this.h };
  }

  setScene(s: Scene): void {
    this.scene = s;
    this.invalidate();
  }

  invalidate(): void {
    this.dirty = true;
    if (!this.raf) this.raf = requestAnimationFrame((t) => this.frame(t));
  }

  setCamera(c: Cam): void {
    this.anim = undefined;
    this.cam = c;
    this.invalidate();
  }

  flyTo(c: Cam, ms = 700): void {
    this.anim = { from: { ...this.cam }, to: c, t0: performance.now(), ms };
    this.invalidate();
  }

  bounds(filter?: (n: VNode) => boolean): Box | undefined {
    let b: Box | undefined;
    for (const n of this.scene.nodes) {
      if (filter && !filter(n)) continue;
      const r = NODE_SIZE[n.kind];
      if (!b) b = { x0: n.x - r, y0: n.y - r, x1: n.x + r, y1: n.y + r };
      else {
        b.x0 = Math.min(b.x0, n.x - r);
        b.y0 = Math.min(b.y0, n.y - r);
        b.x1 = Math.max(b.x1, n.x + r);
        b.y1 = Math.max(b.y1, n.y + r);
      }
    }
    return b;
  }

  fit(filter?: (n: VNode) => boolean, animate = true): void {
    const b = this.bounds(filter);
    if (!b) return;
    // Room on the left for the tier captions, and below for host labels.
    const c = fitCamera({ ...b, x0: b.x0 - 90 * this.fontScale, y1: b.y1 + 30 }, this.w, this.h, 40 * this.fontScale);
    if (animate) this.flyTo(c);
    else this.setCamera(c);
  }

  toScreen(x: number, y: number): [number, number] {
    return [(x - this.cam.x) * this.cam.k + this.w / 2, (y - this.cam.y) * this.cam.k + this.h / 2];
  }

  toWorld(sx: number, sy: number): [number, number] {
    return [(sx - this.w / 2) / this.cam.k + this.cam.x, (sy - this.h / 2) / this.cam.k + this.cam.y];
  }

  /** The node under a screen point (within its square, or 8 px for tiny ones), or -1. */
  hit(sx: number, sy: number): number {
    const [wx, wy] = this.toWorld(sx, sy);
    let best = -1;
    let bestD = Infinity;
    const nodes = this.scene.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const r = Math.max(NODE_SIZE[n.kind] / 2, 8 / this.cam.k);
      const dx = Math.abs(n.x - wx);
      const dy = Math.abs(n.y - wy);
      if (dx <= r && dy <= r && dx + dy < bestD) {
        bestD = dx + dy;
        best = i;
      }
    }
    return best;
  }

  private frame(t: number): void {
    this.raf = 0;
    if (this.anim) {
      const a = this.anim;
      const p = (t - a.t0) / a.ms;
      this.cam = lerpCam(a.from, a.to, p);
      if (p >= 1) this.anim = undefined;
      this.dirty = true;
    }
    if (this.dirty) {
      const t0 = performance.now();
      this.draw();
      this.dirty = false;
      this.frames++;
      const ms = performance.now() - t0;
      for (const cb of this.after) cb(ms);
    }
    if (this.anim) this.invalidate();
  }

  private draw(): void {
    const { ctx, w, h, cam } = this;
    const { nodes, links } = this.scene;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = BG;
    ctx.fillRect(0, 0, w, h);
    const k = cam.k;
    const ox = w / 2 - cam.x * k;
    const oy = h / 2 - cam.y * k;
    const sx = (x: number) => x * k + ox;
    const sy = (y: number) => y * k + oy;

    // Links: 4 states × 5 load levels, plus dimmed and ownership buckets.
    const buckets: number[][] = Array.from({ length: 22 }, () => []);
    for (let i = 0; i < links.length; i++) {
      const l = links[i]!;
      const a = nodes[l.a]!;
      const b = nodes[l.b]!;
      const ax = sx(a.x);
      const bx = sx(b.x);
      if ((ax < 0 && bx < 0) || (ax > w && bx > w)) continue;
      const ay = sy(a.y);
      const by = sy(b.y);
      if ((ay < 0 && by < 0) || (ay > h && by > h)) continue;
      const bi = l.own ? 21 : a.dim || b.dim ? 20 : l.state * 5 + utilLevel(l.util);
      buckets[bi]!.push(i);
    }
    ctx.lineCap = 'butt';
    for (let bi = 0; bi < 22; bi++) {
      const list = buckets[bi]!;
      if (list.length === 0) continue;
      ctx.beginPath();
      for (const i of list) {
        const l = links[i]!;
        const a = nodes[l.a]!;
        const b = nodes[l.b]!;
        ctx.moveTo(sx(a.x), sy(a.y));
        ctx.lineTo(sx(b.x), sy(b.y));
      }
      if (bi >= 20) {
        ctx.strokeStyle = bi === 20 ? 'rgba(90,100,110,0.25)' : 'rgba(150,165,180,0.45)';
        ctx.lineWidth = 1;
      } else {
        const st = Math.floor(bi / 5) as St;
        const lvl = bi % 5;
        ctx.strokeStyle = linkColour(st, lvl);
        // Bad links stay wide enough to be seen from the back of the room.
        ctx.lineWidth = Math.max(LINK_WIDTH[lvl]!, st >= St.Degraded ? 3 : 0) * Math.min(1.5, Math.max(0.6, k * 2)) * this.fontScale;
      }
      ctx.stroke();
    }

    // Nodes: squares (groups as circles), one path per fill colour.
    const fills = new Map<string, number[]>();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const x = sx(n.x);
      const y = sy(n.y);
      const r = Math.max(1.5, (NODE_SIZE[n.kind] * k) / 2);
      if (x < -r || x > w + r || y < -r || y > h + r) continue;
      const f = n.dim ? '#2a323b' : NODE_FILL[n.state];
      let l = fills.get(f);
      if (!l) fills.set(f, (l = []));
      l.push(i);
    }
    for (const [f, list] of fills) {
      ctx.beginPath();
      for (const i of list) {
        const n = nodes[i]!;
        const r = Math.max(1.5, (NODE_SIZE[n.kind] * k) / 2);
        const x = sx(n.x);
        const y = sy(n.y);
        if (n.kind === 'group') {
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, Math.PI * 2);
        } else ctx.rect(x - r, y - r, 2 * r, 2 * r);
      }
      ctx.fillStyle = f;
      ctx.fill();
    }
    if (this.selected >= 0 && nodes[this.selected]) {
      const n = nodes[this.selected]!;
      const r = Math.max(6, (NODE_SIZE[n.kind] * k) / 2) + 5;
      ctx.strokeStyle = '#3ea6ff';
      ctx.lineWidth = 3;
      ctx.strokeRect(sx(n.x) - r, sy(n.y) - r, 2 * r, 2 * r);
    }
    this.drawLabels(sx, sy);
  }

  private drawLabels(sx: (x: number) => number, sy: (y: number) => number): void {
    const { ctx, w, h } = this;
    const k = this.cam.k;
    const fs = this.fontScale;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    let drawn = 0;
    const sel = this.scene.nodes[this.selected];
    for (const n of this.scene.nodes) {
      if (drawn >= MAX_LABELS) break;
      const isGroup = n.kind === 'group';
      // Group badges and switch names keep a legible minimum; hosts appear only when zoomed in.
      const min = isGroup || n.kind === 'spine' || n.kind === 'leaf' ? 11 * fs : 0;
      const px = Math.min(28 * fs, Math.max(LABEL_SIZE[n.kind] * k * fs, min));
      if (px < 9) continue;
      const x = sx(n.x);
      const y = sy(n.y);
      if (x < -200 || x > w + 200 || y < -50 || y > h + 50) continue;
      // Crowded rows: skip labels that would overlap their neighbours.
      if (n.kind === 'leaf' && 200 * k < px * 3.2) continue;
      if ((n.kind === 'host' || n.kind === 'container') && n !== sel && (n.kind === 'host' ? 30 : 22) * k < px * 0.58 * n.label.length) continue;
      ctx.font = `${isGroup ? 700 : 500} ${px.toFixed(1)}px system-ui, sans-serif`;
      ctx.fillStyle = n.dim ? '#3b4550' : isGroup ? BG : TEXT;
      const r = Math.max(1.5, (NODE_SIZE[n.kind] * k) / 2);
      if (isGroup) {
        ctx.textBaseline = 'middle';
        if (r * 2 < px * 1.6) {
          ctx.fillStyle = n.dim ? '#3b4550' : TEXT;
          ctx.fillText(n.label, x, y + r + px * 0.7);
        } else ctx.fillText(n.label, x, y);
        ctx.textBaseline = 'top';
      } else ctx.fillText(n.label, x, y + r + 3);
      drawn++;
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.font = `600 ${(13 * fs).toFixed(0)}px system-ui, sans-serif`;
    ctx.fillStyle = MUTED;
    for (const c of this.captions) {
      const y = sy(c.y);
      if (y > 0 && y < h) ctx.fillText(c.text, 12, y);
    }
  }

  private bindInput(): void {
    const c = this.canvas;
    let drag: { x: number; y: number; cam: Cam; moved: boolean } | undefined;
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, cam: { ...this.cam }, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) this.setCamera({ x: drag.cam.x - dx / this.cam.k, y: drag.cam.y - dy / this.cam.k, k: this.cam.k });
    });
    c.addEventListener('pointerup', (e) => {
      const d = drag;
      drag = undefined;
      if (d && !d.moved) c.dispatchEvent(new CustomEvent('node-click', { detail: { index: this.hit(e.offsetX, e.offsetY), dbl: false } }));
    });
    c.addEventListener('dblclick', (e) => {
      c.dispatchEvent(new CustomEvent('node-click', { detail: { index: this.hit(e.offsetX, e.offsetY), dbl: true } }));
    });
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const [wx, wy] = this.toWorld(e.offsetX, e.offsetY);
        const k = Math.min(8, Math.max(0.005, this.cam.k * Math.exp(-e.deltaY * 0.0015)));
        // Keep the world point under the cursor fixed while zooming.
        this.setCamera({ x: wx - (e.offsetX - this.w / 2) / k, y: wy - (e.offsetY - this.h / 2) / k, k });
      },
      { passive: false },
    );
  }
}
