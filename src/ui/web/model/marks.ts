// What the wall outlines on the map: the elements a change-list window touched, and the cables
// the cabling check flags. Graph IDs are mapped to what displays them (a port → its switch, a
// host in a folded group → the group), so a mark survives any folding; recomputed per frame
// from the data, since a rebuild renumbers the display.
import type { GraphModel } from './graph-model.ts';
import type { ViewModel } from './view-model.ts';
import type { CablingView, WallChange } from '../net/timeline.ts';

export interface Marks {
  /** Display node index → colour. */
  nodes: Map<number, string>;
  /** Display link index → colour. */
  links: Map<number, string>;
}

export const MARK = { changed: '#3ea6ff', miswired: '#ff8a00', unexpected: '#c77dff', missing: '#ff3b30' } as const;

export function emptyMarks(): Marks {
  return { nodes: new Map(), links: new Map() };
}

function markNode(vm: ViewModel, m: Marks, gid: string | undefined, colour: string): void {
  if (gid === undefined) return;
  const d = vm.displayOf(gid);
  const i = d === undefined ? undefined : vm.index.get(d);
  if (i !== undefined && !m.nodes.has(i)) m.nodes.set(i, colour);
}

/** The displayed link between two graph nodes; its ends when it is not displayed (gone, or inside a group). */
function markLink(vm: ViewModel, m: Marks, a: string | undefined, b: string | undefined, colour: string): void {
  if (a === undefined || b === undefined) return;
  const da = vm.displayOf(a);
  const db = vm.displayOf(b);
  const li = da !== undefined && db !== undefined ? vm.linkIndex.get(da < db ? `${da}|${db}` : `${db}|${da}`) : undefined;
  if (li !== undefined) m.links.set(li, colour);
  else {
    markNode(vm, m, a, colour);
    markNode(vm, m, b, colour);
  }
}

export function changeMarks(vm: ViewModel, changes: readonly WallChange[], m: Marks = emptyMarks()): Marks {
  for (const c of changes) {
    if (c.Element === 'edge') markLink(vm, m, c.Parent, c.Child, MARK.changed);
    else markNode(vm, m, c.ID, MARK.changed);
    // A move: the ports it left and reached too.
    if (c.Kind === 'mac-moved' || c.Kind === 'ip-moved') {
      markNode(vm, m, typeof c.Old === 'string' ? c.Old : undefined, MARK.changed);
      markNode(vm, m, typeof c.New === 'string' ? c.New : undefined, MARK.changed);
    }
  }
  return m;
}

/** Graph node IDs of the devices named by missing cables (looked up once per report, not per frame). */
export function missingDevices(g: GraphModel, r: CablingView): string[] {
  const names = new Set(r.missing.flatMap((x) => [x.planned.a.device.toLowerCase(), x.planned.b.device.toLowerCase()]));
  const out: string[] = [];
  if (names.size === 0) return out;
  for (const n of g.nodes.values()) {
    const name = n.Metadata.Name;
    if (typeof name === 'string' && names.has(name.toLowerCase()) && !g.owner.has(n.ID)) out.push(n.ID);
  }
  return out;
}

export function cablingMarks(vm: ViewModel, r: CablingView, missing: readonly string[], m: Marks = emptyMarks()): Marks {
  for (const x of r.miswired) markLink(vm, m, x.observed.a.portId, x.observed.b.portId, MARK.miswired);
  for (const x of r.unexpected) markLink(vm, m, x.a.portId, x.b.portId, MARK.unexpected);
  // A missing cable has no link to draw: its planned devices are outlined.
  for (const id of missing) markNode(vm, m, id, MARK.missing);
  return m;
}
