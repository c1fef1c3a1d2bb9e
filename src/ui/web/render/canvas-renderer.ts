// Canvas2D renderer (chosen over sigma.js/WebGL after measuring; see src/ui/README.md). Draws only
// when something changed (camera, state, scene), batches links and nodes into one path per
// colour/width bucket, culls what is off screen and shows labels only where they are legible.
import { St } from '../model/types.ts';
import type { Tier, VLink, VNode } from '../model/view-model.ts';
import { LAYOUT } from '../model/layout.ts';
import { fitCamera, lerpCam, scales, MAX_ZOOM, type Box, type Cam, type Insets } from './camera.ts';
import { bindPanZoom } from './input.ts';
import { BG, LABEL_SIZE, LINK_WIDTH, MUTED, NODE_FILL, NODE_SIZE, TEXT, linkColour, utilLevel } from './palette.ts';

export interface Scene {
  nodes: VNode[];
  links: VLink[];
  /** Captions of the tiers present (see ViewModel.tiers). */
  tiers?: Tier[];
}

const MAX_LABELS = 600;
/** Average glyph width of the label font over its size: enough to tell whether a label fits. */
const CHAR_W = 0.58;
/** Labels smaller than this are not drawn at all. */
const MIN_LABEL_PX = 8;
/** Horizontal room a label may take, in world units, by kind: the spacing of its row. */
const CELL: Record<VNode['kind'], number> = {
  spine: LAYOUT.LEAF_DX,
  leaf: LAYOUT.LEAF_DX,
  group: LAYOUT.LEAF_DX,
  host: LAYOUT.HOST_DX,
  container: LAYOUT.CONTAINER_DX,
  netns: LAYOUT.CONTAINER_DX,
  iface: LAYOUT.CONTAINER_DX,
  other: LAYOUT.UNATTACHED_DX,
};
/** What an overlay draws with: world → screen mapping, zoom and type scale of this frame. */
export interface OverlayFrame {
  ctx: CanvasRenderingContext2D;
  nodes: VNode[];
  links: VLink[];
  sx: (x: number) => number;
  sy: (y: number) => number;
  k: number;
  scale: number;
}
export type Overlay = (f: OverlayFrame) => void;

const NO_INSETS: Insets = { top: 0, right: 0, bottom: 0, left: 0 };

export class CanvasRenderer {
  readonly ctx: CanvasRenderingContext2D;
  cam: Cam = { x: 0, y: 0, k: 1 };
  scene: Scene = { nodes: [], links: [] };
  selected = -1;
  /** Screen room the page's chrome covers (bar, panel, legend); fit() keeps nodes out of it. */
  insets: () => Insets = () => NO_INSETS;
  /** Node indices labelled and tier captions drawn in the last frame (tests read them). */
  labelled: number[] = [];
  captionsDrawn: string[] = [];
  /** Kiosk mode multiplies type sizes so labels read from across the room. */
  fontScale = 1;
  /** Frames actually drawn (the after-render hook's count). */
  frames = 0;
  /** Layers drawn over links and nodes, under the selection and labels (render/marks-layer.ts). */
  readonly overlays: Overlay[] = [];
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
    bindPanZoom(this);
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

  /** The camera that shows these nodes (all by default) filling the room the chrome leaves. */
  fitCam(filter?: (n: VNode) => boolean): Cam | undefined {
    const shown = filter ? this.scene.nodes.filter(filter) : this.scene.nodes;
    if (shown.length === 0) return undefined;
    const b: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    const grow = (x: number, y: number) => {
      b.x0 = Math.min(b.x0, x);
      b.y0 = Math.min(b.y0, y);
      b.x1 = Math.max(b.x1, x);
      b.y1 = Math.max(b.y1, y);
    };
    for (const n of shown) grow(n.x, n.y);
    const fs = this.fontScale;
    const chrome = this.insets();
    const captions = this.captionWidth();
    // Glyphs and labels reach past the node centres by amounts that depend on the zoom the fit
    // lands on: start from a guess and refine (it settles in a couple of passes).
    let cam: Cam = { x: 0, y: 0, k: 1, s: 1 };
    // A block caption (the unattached corner) sits above its first node: room for it on top.
    const blockCaption = !filter && (this.scene.tiers ?? []).some((t) => t.x !== undefined);
    for (let pass = 0; pass < 3; pass++) {
      const { kx } = scales(cam);
      const half = Math.max((NODE_SIZE.spine / 2) * cam.k, blockCaption ? this.blockCaptionRise(cam.k) : 0);
      let left = 0;
      let right = 0;
      for (const n of shown) {
        const lw = (CHAR_W * this.labelPx(n, cam.k, kx, false) * n.label.length) / 2;
        left = Math.max(left, lw - (n.x - b.x0) * kx);
        right = Math.max(right, lw - (b.x1 - n.x) * kx);
      }
      cam = fitCamera(b, this.w, this.h, {
        top: chrome.top + half + 8,
        bottom: chrome.bottom + half + 26 * fs,
        left: chrome.left + captions + Math.max(half, left) + 12,
        right: chrome.right + Math.max(half, right) + 12,
      });
    }
    return cam;
  }

  /** Label size in px a node gets at this zoom (0: no label). */
  private labelPx(n: VNode, k: number, kx: number, selected: boolean): number {
    const fs = this.fontScale;
    const isGroup = n.kind === 'group';
    // Switch names and group badges keep a legible minimum; hosts and unattached devices a
    // smaller one; containers appear only when zoomed in.
    const min = isGroup || n.kind === 'spine' || n.kind === 'leaf' ? 11 * fs : n.kind === 'host' || n.kind === 'other' ? 10 * fs : 0;
    let px = Math.min(28 * fs, Math.max(LABEL_SIZE[n.kind] * k * fs, min));
    // A label never runs into its neighbour's: it shrinks to its cell, or is left out when that
    // would make it too small to read (the selected node always keeps its label).
    if (!isGroup) {
      const room = CELL[n.kind] * kx * 0.94;
      if (CHAR_W * px * n.label.length > room) px = Math.max(selected ? 10 : 0, room / (CHAR_W * n.label.length));
    }
    return px < MIN_LABEL_PX ? 0 : px;
  }

  fit(filter?: (n: VNode) => boolean, animate = true): void {
    const c = this.fitCam(filter);
    if (!c) return;
    if (animate) this.flyTo(c);
    else this.setCamera(c);
  }

  /** Width of the caption column at the left edge (0 when no tier has a caption there). */
  private captionWidth(): number {
    const fixed = (this.scene.tiers ?? []).filter((t) => t.x === undefined);
    if (fixed.length === 0) return 0;
    this.ctx.font = this.captionFont();
    return 12 + Math.max(...fixed.map((t) => this.ctx.measureText(t.text).width)) + 16;
  }

  /** How far above its block's first node a block caption is drawn, in px. */
  private blockCaptionRise(k: number): number {
    return (NODE_SIZE.other / 2) * k + 16 * this.fontScale;
  }

  private captionFont(): string {
    return `600 ${(13 * this.fontScale).toFixed(0)}px system-ui, sans-serif`;
  }

  toScreen(x: number, y: number): [number, number] {
    const { kx, ky } = scales(this.cam);
    return [(x - this.cam.x) * kx + this.w / 2, (y - this.cam.y) * ky + this.h / 2];
  }

  toWorld(sx: number, sy: number): [number, number] {
    const { kx, ky } = scales(this.cam);
    return [(sx - this.w / 2) / kx + this.cam.x, (sy - this.h / 2) / ky + this.cam.y];
  }

  /** The node under a screen point (within its square, or 8 px for tiny ones), or -1. */
  hit(px: number, py: number): number {
    let best = -1;
    let bestD = Infinity;
    const nodes = this.scene.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const r = Math.max((NODE_SIZE[n.kind] * this.cam.k) / 2, 8);
      const [x, y] = this.toScreen(n.x, n.y);
      const dx = Math.abs(x - px);
      const dy = Math.abs(y - py);
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
    const { kx, ky } = scales(cam);
    const ox = w / 2 - cam.x * kx;
    const oy = h / 2 - cam.y * ky;
    const sx = (x: number) => x * kx + ox;
    const sy = (y: number) => y * ky + oy;

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
    for (const o of this.overlays) o({ ctx, nodes, links, sx, sy, k, scale: this.fontScale });
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
    const { kx } = scales(this.cam);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const labelled: number[] = [];
    const nodes = this.scene.nodes;
    for (let i = 0; i < nodes.length && labelled.length < MAX_LABELS; i++) {
      const n = nodes[i]!;
      const isGroup = n.kind === 'group';
      const x = sx(n.x);
      const y = sy(n.y);
      if (x < -200 || x > w + 200 || y < -50 || y > h + 50) continue;
      const px = this.labelPx(n, k, kx, i === this.selected);
      if (px === 0) continue;
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
      labelled.push(i);
    }
    this.labelled = labelled;
    ctx.textBaseline = 'middle';
    ctx.font = this.captionFont();
    ctx.fillStyle = MUTED;
    const drawn: string[] = [];
    for (const c of this.scene.tiers ?? []) {
      const y = c.x === undefined ? sy(c.y) : sy(c.y) - this.blockCaptionRise(this.cam.k);
      const x = c.x === undefined ? 12 : sx(c.x) - (NODE_SIZE.other / 2) * this.cam.k;
      ctx.textAlign = 'left';
      if (y > 0 && y < h && x < w) {
        ctx.fillText(c.text, Math.max(12, x), y);
        drawn.push(c.text);
      }
    }
    this.captionsDrawn = drawn;
  }
}
