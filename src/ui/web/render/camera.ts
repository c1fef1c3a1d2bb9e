// World ↔ screen transform and its animation (fly-to, fit, scripted pan/zoom).
//
// The tiered layout has a fixed shape (tiers a fixed distance apart, leaves a fixed step apart), so
// a fabric of two leaves is tall and narrow and one of two hundred is a thin strip. Rather than
// moving nodes to match the screen, which would break the stable layout, the camera may stretch
// one axis: positions spread by `k·s` along x (s > 1) or `k/s` along y (s < 1) while glyphs and
// type keep the scale `k`. Fitting picks the stretch that fills the viewport.
export interface Cam {
  x: number;
  y: number;
  k: number;
  /** Axis stretch: > 1 spreads x, < 1 spreads y; 1 (or absent) is uniform. */
  s?: number;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Screen-pixel room kept clear at each edge (chrome, captions, labels). */
export interface Insets {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** Largest stretch of one axis over the other (a 200-leaf strip on a 16:9 wall needs ~25). */
export const MAX_STRETCH = 32;
export const MAX_ZOOM = 4;

/** Horizontal and vertical scale of a camera. */
export function scales(c: Cam): { kx: number; ky: number } {
  const s = c.s ?? 1;
  return { kx: c.k * Math.max(1, s), ky: c.k * Math.max(1, 1 / s) };
}

/**
 * The camera that shows the box of node centres inside the viewport minus `inset`. The scale of
 * the tighter axis sets `k` (so glyphs fit); the other axis stretches up to MAX_STRETCH.
 */
export function fitCamera(b: Box, w: number, h: number, inset: Insets): Cam {
  const aw = Math.max(1, w - inset.left - inset.right);
  const ah = Math.max(1, h - inset.top - inset.bottom);
  const bw = b.x1 - b.x0;
  const bh = b.y1 - b.y0;
  const kx = bw > 0 ? aw / bw : Infinity;
  const ky = bh > 0 ? ah / bh : Infinity;
  let k = Math.min(kx, ky, MAX_ZOOM);
  if (!Number.isFinite(k)) k = 1;
  k = Math.max(k, 0.002);
  // A single row or column has nothing to spread along its flat axis.
  let s = 1;
  if (bw > 0 && bh > 0) {
    if (kx > ky) s = Math.min(MAX_STRETCH, kx / k);
    else if (ky > kx) s = 1 / Math.min(MAX_STRETCH, ky / k);
  }
  const cam: Cam = { x: 0, y: 0, k, s };
  const sc = scales(cam);
  // Centre the box on the usable area, not on the canvas.
  const ux = inset.left + aw / 2;
  const uy = inset.top + ah / 2;
  cam.x = (b.x0 + b.x1) / 2 - (ux - w / 2) / sc.kx;
  cam.y = (b.y0 + b.y1) / 2 - (uy - h / 2) / sc.ky;
  return cam;
}

const ease = (t: number) => (t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2);

/** Interpolates in log-zoom (and log-stretch) so a fly-to feels even at every scale. */
export function lerpCam(a: Cam, b: Cam, t: number): Cam {
  const e = ease(Math.min(1, Math.max(0, t)));
  const lg = (u: number, v: number) => Math.exp(Math.log(u) + (Math.log(v) - Math.log(u)) * e);
  return { x: a.x + (b.x - a.x) * e, y: a.y + (b.y - a.y) * e, k: lg(a.k, b.k), s: lg(a.s ?? 1, b.s ?? 1) };
}
