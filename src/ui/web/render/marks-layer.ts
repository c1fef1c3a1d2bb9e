// Draws Marks (model/marks.ts) over the map: a marked link as a wide translucent band under its
// line, a marked node as a ring, in the mark's colour. Drawn per frame from a getter, since the
// display is renumbered on every rebuild.
import type { Marks } from '../model/marks.ts';
import type { Overlay } from './canvas-renderer.ts';
import { NODE_SIZE } from './palette.ts';

/** How many marks the last frame drew (the browser tests read it). */
export interface MarksDrawn {
  nodes: number;
  links: number;
}

export function marksLayer(get: () => Marks[], drawn: MarksDrawn = { nodes: 0, links: 0 }): Overlay {
  return ({ ctx, nodes, links, sx, sy, k, scale }) => {
    drawn.nodes = 0;
    drawn.links = 0;
    ctx.save();
    ctx.globalAlpha = 0.85;
    ctx.lineCap = 'round';
    for (const m of get()) {
      for (const [i, colour] of m.links) {
        const l = links[i];
        if (!l) continue;
        const a = nodes[l.a]!;
        const b = nodes[l.b]!;
        ctx.strokeStyle = colour;
        ctx.lineWidth = Math.max(3, 6 * Math.min(1.5, k * 2)) * scale;
        ctx.setLineDash([8 * scale, 5 * scale]);
        ctx.beginPath();
        ctx.moveTo(sx(a.x), sy(a.y));
        ctx.lineTo(sx(b.x), sy(b.y));
        ctx.stroke();
        drawn.links++;
      }
      ctx.setLineDash([]);
      for (const [i, colour] of m.nodes) {
        const n = nodes[i];
        if (!n) continue;
        const r = Math.max(5, (NODE_SIZE[n.kind] * k) / 2) + 4 * scale;
        ctx.strokeStyle = colour;
        ctx.lineWidth = 2.5 * scale;
        ctx.beginPath();
        ctx.arc(sx(n.x), sy(n.y), r, 0, Math.PI * 2);
        ctx.stroke();
        drawn.nodes++;
      }
    }
    ctx.restore();
  };
}
