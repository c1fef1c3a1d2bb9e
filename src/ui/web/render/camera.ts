// World ↔ screen transform and its animation (fly-to, fit, scripted pan/zoom).
export interface Cam {
  x: number;
  y: number;
  k: number;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function fitCamera(b: Box, w: number, h: number, pad = 40): Cam {
  const bw = Math.max(1, b.x1 - b.x0);
  const bh = Math.max(1, b.y1 - b.y0);
  const k = Math.min((w - 2 * pad) / bw, (h - 2 * pad) / bh, 4);
  return { x: (b.x0 + b.x1) / 2, y: (b.y0 + b.y1) / 2, k: Math.max(k, 0.005) };
}

const ease = (t: number) => (t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2);

/** Interpolates in log-zoom so a fly-to feels even at every scale. */
export function lerpCam(a: Cam, b: Cam, t: number): Cam {
  const e = ease(Math.min(1, Math.max(0, t)));
  return { x: a.x + (b.x - a.x) * e, y: a.y + (b.y - a.y) * e, k: Math.exp(Math.log(a.k) + (Math.log(b.k) - Math.log(a.k)) * e) };
}
