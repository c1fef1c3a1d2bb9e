// Wires the change list and the cabling check into the wall: the time slider's window feeds the
// change list (ui/changes-box.ts), the cabling box polls the configured plan (ui/cabling-box.ts),
// and one map overlay outlines both (render/marks-layer.ts). Kept beside the App, which it only
// reads: the slider's instant is the subscriber's time after the App's own slider handler ran.
import type { App } from '../app.ts';
import { cablingMarks, changeMarks, missingDevices, type Marks } from '../model/marks.ts';
import { marksLayer, type MarksDrawn } from '../render/marks-layer.ts';
import { CablingBox } from './cabling-box.ts';
import { ChangesBox } from './changes-box.ts';
import { $ } from './dom.ts';

export interface TimelineWall {
  changes: ChangesBox;
  cabling: CablingBox;
  drawn: MarksDrawn;
  marks(): Marks[];
}

export function installTimelineWall(app: App): TimelineWall {
  const g = app.g;
  const name = (id: string): string => {
    const n = g.nodes.get(id);
    const own = g.owner.get(id);
    const label = typeof n?.Metadata.Name === 'string' ? n.Metadata.Name : id.slice(0, 8);
    const o = own === undefined ? undefined : g.nodes.get(own)?.Metadata.Name;
    return typeof o === 'string' ? `${o} ${label}` : label;
  };
  const redraw = () => app.r.invalidate();
  const changes = new ChangesBox($('changes'), name, (id) => void app.flyToGraphNode(id), redraw);
  const cabling = new CablingBox($('cabling'), redraw);
  // Devices of missing cables, looked up again only when the report or the graph's size changes.
  let missing: { key: string; ids: string[] } = { key: '', ids: [] };
  const missingNow = (r: NonNullable<CablingBox['report']>): string[] => {
    const key = `${r.At}:${g.nodes.size}`;
    if (missing.key !== key) missing = { key, ids: missingDevices(g, r) };
    return missing.ids;
  };
  const marks = (): Marks[] => {
    const out: Marks[] = [];
    if (cabling.report) out.push(cablingMarks(app.vm, cabling.report, missingNow(cabling.report)));
    if (changes.changes.length) out.push(changeMarks(app.vm, changes.changes));
    return out;
  };
  const drawn: MarksDrawn = { nodes: 0, links: 0 };
  app.r.overlays.push(marksLayer(marks, drawn));
  const slider = document.getElementById('slider');
  slider?.addEventListener('change', () => void changes.show(app.sub.time));
  cabling.start();
  return { changes, cabling, drawn, marks };
}
