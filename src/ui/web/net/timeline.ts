// REST reads for the change timeline and the cabling check on the wall (GET /api/changes,
// GET /api/cabling). Shapes are declared here: browser code imports no server code.
export interface WallChange {
  At: number;
  Kind: string;
  ID: string;
  Element: 'node' | 'edge';
  Type: string;
  Name?: string;
  Key?: string;
  Old?: unknown;
  New?: unknown;
  Parent?: string;
  Child?: string;
  Address?: string;
}

export interface CableEndView {
  device: string;
  port: string;
  portId?: string;
  deviceId?: string;
}
export interface ObservedView {
  a: CableEndView;
  b: CableEndView;
  edgeId: string;
  state: string;
}
export interface PlannedView {
  a: CableEndView;
  b: CableEndView;
  line: number;
}
export interface CablingView {
  Intent: string;
  At: number;
  ok: { planned: PlannedView; observed: ObservedView }[];
  missing: { planned: PlannedView; reason: string }[];
  unexpected: ObservedView[];
  miswired: { planned: PlannedView; observed: ObservedView; expected: CableEndView; found: CableEndView }[];
}

const XHR = { 'X-Requested-With': 'XMLHttpRequest' };

export async function fetchChanges(from: number, to: number): Promise<WallChange[]> {
  const r = await fetch(`/api/changes?from=${Math.floor(from)}&to=${Math.ceil(to)}`, { headers: XHR });
  if (!r.ok) throw new Error(`changes: ${r.status} ${r.statusText}`);
  return ((await r.json()) as { Changes: WallChange[] }).Changes;
}

/** The configured plan's check, or null when the collector has none ({"Intent": null}). */
export async function fetchCabling(): Promise<CablingView | null> {
  const r = await fetch('/api/cabling', { headers: XHR });
  if (!r.ok) {
    let detail = `${r.status} ${r.statusText}`;
    try {
      detail = ((await r.json()) as { detail?: string }).detail ?? detail;
    } catch {
      /* not JSON */
    }
    throw new Error(detail);
  }
  const body = (await r.json()) as CablingView | { Intent: null };
  return body.Intent === null ? null : (body as CablingView);
}
