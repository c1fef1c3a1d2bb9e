// Fitting the fabric to the viewport (pure): the tighter axis sets the zoom, the other stretches,
// so a two-leaf fabric (tall, narrow) and a 192-leaf one (a thin strip) both fill a 16:9 wall.
import { describe, expect, it } from 'vitest';
import { MAX_STRETCH, fitCamera, scales, type Box } from '../../src/ui/web/render/camera.ts';

/** The box's corners on screen, as fractions of the usable area they span. */
function coverage(b: Box, w: number, h: number, inset = { top: 60, right: 20, bottom: 40, left: 120 }) {
  const cam = fitCamera(b, w, h, inset);
  const { kx, ky } = scales(cam);
  const sx = (x: number) => (x - cam.x) * kx + w / 2;
  const sy = (y: number) => (y - cam.y) * ky + h / 2;
  const aw = w - inset.left - inset.right;
  const ah = h - inset.top - inset.bottom;
  return {
    cam,
    fx: (sx(b.x1) - sx(b.x0)) / aw,
    fy: (sy(b.y1) - sy(b.y0)) / ah,
    inside:
      sx(b.x0) >= inset.left - 0.5 &&
      sx(b.x1) <= w - inset.right + 0.5 &&
      sy(b.y0) >= inset.top - 0.5 &&
      sy(b.y1) <= h - inset.bottom + 0.5,
  };
}

describe('fitCamera', () => {
  it('fills both axes of a 16:9 screen with a tall, narrow fabric (2 spines, 2 leaves)', () => {
    const c = coverage({ x0: 0, y0: 0, x1: 200, y1: 560 }, 1920, 1080);
    expect(c.inside).toBe(true);
    expect(c.fx).toBeGreaterThan(0.99);
    expect(c.fy).toBeGreaterThan(0.99);
    expect(c.cam.s).toBeGreaterThan(1);
  });

  it('fills both axes with a wide strip (192 leaves) by stretching y, within the stretch limit', () => {
    const c = coverage({ x0: -69, y0: 0, x1: 38200, y1: 800 }, 1920, 1080);
    expect(c.inside).toBe(true);
    expect(c.fx).toBeGreaterThan(0.99);
    expect(c.fy).toBeGreaterThan(0.99);
    expect(1 / c.cam.s!).toBeLessThanOrEqual(MAX_STRETCH);
  });

  it('fits portrait and small screens too, and a single row without dividing by zero', () => {
    for (const [w, h] of [
      [1080, 1920],
      [1366, 768],
      [800, 600],
    ] as const) {
      const c = coverage({ x0: -300, y0: -44, x1: 600, y1: 560 }, w, h);
      expect(c.inside, `${w}x${h}`).toBe(true);
      expect(Math.max(c.fx, c.fy), `${w}x${h}`).toBeGreaterThan(0.99);
      expect(Math.min(c.fx, c.fy), `${w}x${h}`).toBeGreaterThan(0.6);
    }
    const row = coverage({ x0: 0, y0: 320, x1: 400, y1: 320 }, 1920, 1080);
    expect(Number.isFinite(row.cam.k) && Number.isFinite(row.cam.x) && Number.isFinite(row.cam.y)).toBe(true);
    expect(row.cam.s).toBe(1);
  });
});
