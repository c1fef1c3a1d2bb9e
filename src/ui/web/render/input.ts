// Pointer input on the wall's canvas: drag pans, the wheel zooms about the cursor, a click (or
// double-click) that did not drag reports the node under it as a 'node-click' event.
import { scales, type Cam } from './camera.ts';
import type { CanvasRenderer } from './canvas-renderer.ts';

export function bindPanZoom(r: CanvasRenderer): void {
  const c = r.canvas;
  let drag: { x: number; y: number; cam: Cam; moved: boolean } | undefined;
  c.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, cam: { ...r.cam }, moved: false };
    c.setPointerCapture(e.pointerId);
  });
  c.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    const { kx, ky } = scales(r.cam);
    if (drag.moved) r.setCamera({ ...r.cam, x: drag.cam.x - dx / kx, y: drag.cam.y - dy / ky });
  });
  c.addEventListener('pointerup', (e) => {
    const d = drag;
    drag = undefined;
    if (d && !d.moved) c.dispatchEvent(new CustomEvent('node-click', { detail: { index: r.hit(e.offsetX, e.offsetY), dbl: false } }));
  });
  c.addEventListener('dblclick', (e) => {
    c.dispatchEvent(new CustomEvent('node-click', { detail: { index: r.hit(e.offsetX, e.offsetY), dbl: true } }));
  });
  c.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const [wx, wy] = r.toWorld(e.offsetX, e.offsetY);
      const k = Math.min(8, Math.max(0.002, r.cam.k * Math.exp(-e.deltaY * 0.0015)));
      const { kx, ky } = scales({ ...r.cam, k });
      const { w, h } = r.size;
      // Keep the world point under the cursor fixed while zooming.
      r.setCamera({ ...r.cam, x: wx - (e.offsetX - w / 2) / kx, y: wy - (e.offsetY - h / 2) / ky, k });
    },
    { passive: false },
  );
}
