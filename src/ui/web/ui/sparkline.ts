// A port's last hour as a sparkline (docs/architecture.md#port-metrics): in and out bit/s from
// GET /api/metrics as two SVG polylines on one scale. Points further apart than a step and a half
// break the line, so a device that stopped answering shows a gap, not a slope to zero.
import type { SeriesPoint } from '../net/api.ts';

const SVG = 'http://www.w3.org/2000/svg';

/** Polyline point lists (one per unbroken run) for a series, scaled into w × h. */
export function sparkRuns(
  points: readonly SeriesPoint[],
  key: 'inBitsPerSec' | 'outBitsPerSec',
  step: number,
  from: number,
  to: number,
  max: number,
  w: number,
  h: number,
): string[] {
  const runs: string[][] = [];
  let prevT = -Infinity;
  const x = (t: number) => (((t - from) / Math.max(1, to - from)) * w).toFixed(1);
  const y = (v: number) => (h - 1 - (max > 0 ? v / max : 0) * (h - 2)).toFixed(1);
  for (const p of points) {
    if (p.t - prevT > step * 1.5 || runs.length === 0) runs.push([]);
    runs[runs.length - 1]!.push(`${x(p.t + step / 2)},${y(p[key])}`);
    prevT = p.t;
  }
  return runs.map((r) => (r.length === 1 ? `${r[0]} ${r[0]}` : r.join(' ')));
}

export function rate(bps: number): string {
  const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let i = 0;
  while (bps >= 1000 && i < u.length - 1) {
    bps /= 1000;
    i++;
  }
  return `${bps.toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** The sparkline element: in (solid) and out (dashed) bit/s, the peak in its title. */
export function sparkline(points: readonly SeriesPoint[], step: number, from: number, to: number, w = 160, h = 28): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const max = Math.max(0, ...points.map((p) => Math.max(p.inBitsPerSec, p.outBitsPerSec)));
  const last = points[points.length - 1];
  const title = document.createElementNS(SVG, 'title');
  title.textContent = last
    ? `last hour — now in ${rate(last.inBitsPerSec)}, out ${rate(last.outBitsPerSec)}; peak ${rate(max)} (${last.source})`
    : 'no counter readings in the last hour';
  svg.append(title);
  for (const key of ['inBitsPerSec', 'outBitsPerSec'] as const) {
    for (const run of sparkRuns(points, key, step, from, to, max, w, h)) {
      const pl = document.createElementNS(SVG, 'polyline');
      pl.setAttribute('points', run);
      pl.setAttribute('class', key === 'inBitsPerSec' ? 'in' : 'out');
      svg.append(pl);
    }
  }
  return svg;
}
