// REST calls the UI makes (same origin; the authtoken cookie rides along).
import type { GNode } from '../model/types.ts';
import type { FlowRow } from '../ui/describe.ts';
export { idsIn } from './ids.ts';

export class Unauthorized extends Error {}

/** Marks our requests as a script's, so a 401 comes without a Basic challenge (no browser dialog). */
const XHR = { 'X-Requested-With': 'XMLHttpRequest' };

async function check(r: Response): Promise<Response> {
  if (r.status === 401) throw new Unauthorized('login required');
  if (!r.ok) {
    let detail = `${r.status} ${r.statusText}`;
    try {
      const p = (await r.json()) as { detail?: string; title?: string };
      detail = p.detail ?? p.title ?? detail;
    } catch {
      /* not JSON */
    }
    throw new Error(detail);
  }
  return r;
}

/** True when the API answers without credentials or with our cookie. */
export async function authorized(): Promise<boolean> {
  const r = await fetch('/api/status', { credentials: 'same-origin', headers: XHR });
  return r.status !== 401;
}

export async function login(username: string, password: string): Promise<void> {
  const body = new URLSearchParams({ username, password });
  const r = await fetch('/login', { method: 'POST', body, credentials: 'same-origin', headers: XHR });
  if (r.status === 401) throw new Error('bad username or password');
  await check(r);
}

export async function gremlin(query: string): Promise<unknown> {
  const r = await check(
    await fetch('/api/topology', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...XHR },
      body: JSON.stringify({ GremlinQuery: query }),
    }),
  );
  return r.status === 204 ? [] : r.json();
}

export async function node(id: string): Promise<GNode> {
  return (await check(await fetch(`/api/node/${encodeURIComponent(id)}`, { headers: XHR }))).json() as Promise<GNode>;
}

export type FlowAnswer =
  | { kind: 'rows'; rows: FlowRow[] }
  /** The collector runs no flow listener (no /api/flows). */
  | { kind: 'no-api' }
  | { kind: 'error'; message: string };

/**
 * Top flows of a node (a switch, port or host: the collector answers a host with the flows seen
 * for it on its TOR port). An empty list is an answer too: "no flow data".
 */
export async function topFlows(id: string): Promise<FlowAnswer> {
  try {
    const r = await fetch(`/api/flows?node=${encodeURIComponent(id)}&top=10`, { headers: XHR });
    if (r.status === 404) return { kind: 'no-api' };
    await check(r);
    const j = (await r.json()) as unknown;
    return Array.isArray(j) ? { kind: 'rows', rows: j as FlowRow[] } : { kind: 'error', message: 'unexpected answer' };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

/** One bucket of GET /api/metrics as the wall reads it. */
export interface SeriesPoint {
  t: number;
  inBitsPerSec: number;
  outBitsPerSec: number;
  source: string;
}

export type SeriesAnswer =
  { kind: 'series'; step: number; from: number; to: number; points: SeriesPoint[] } | { kind: 'error'; message: string };

/** A port's (or link's) last hour at one-minute steps. */
export async function portSeries(id: string, now = Date.now()): Promise<SeriesAnswer> {
  const from = now - 3_600_000;
  try {
    const r = await check(await fetch(`/api/metrics?node=${encodeURIComponent(id)}&from=${from}&to=${now}&step=60`, { headers: XHR }));
    const body = (await r.json()) as { step: number; points: SeriesPoint[] };
    return { kind: 'series', step: body.step, from, to: now, points: body.points };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

export type MatrixAnswer =
  | { kind: 'svg'; svg: SVGSVGElement }
  /** No connection of this host is known (the SVG would be empty). */
  | { kind: 'empty' }
  | { kind: 'error'; message: string };

/**
 * A host's service dependency matrix as the collector renders it (GET /api/flow-matrix?format=svg,
 * docs/architecture.md#flow-matrix), parsed as SVG rather than inserted as markup: process names
 * come from the hosts.
 */
export async function hostMatrixSvg(id: string): Promise<MatrixAnswer> {
  try {
    const r = await check(await fetch(`/api/flow-matrix?format=svg&host=${encodeURIComponent(id)}`, { headers: XHR }));
    const doc = new DOMParser().parseFromString(await r.text(), 'image/svg+xml');
    const svg = doc.documentElement;
    if (doc.querySelector('parsererror') || !(svg instanceof SVGSVGElement)) return { kind: 'error', message: 'the collector sent no SVG' };
    if (!svg.querySelector('g.cluster')) return { kind: 'empty' };
    return { kind: 'svg', svg: document.importNode(svg, true) };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

/** GET /api/flows/path: the graph nodes on the observed paths of the flows from src to dst. */
export async function flowPathNodes(src: string, dst: string): Promise<{ nodes: string[]; paths: number }> {
  const q = new URLSearchParams({ src, dst });
  const r = await check(await fetch(`/api/flows/path?${q.toString()}`, { headers: XHR }));
  const a = (await r.json()) as { nodes?: string[]; paths?: unknown[] };
  return { nodes: a.nodes ?? [], paths: a.paths?.length ?? 0 };
}
