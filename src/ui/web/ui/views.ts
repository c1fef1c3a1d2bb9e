// Saved views: what kiosk mode cycles through. Built-in ones fit the whole fabric, the switch
// tiers, and the trouble spots; the "Save view" button adds the current camera and filter.
import type { Cam } from '../render/camera.ts';
import { St } from '../model/types.ts';
import type { VNode } from '../model/view-model.ts';

export interface SavedView {
  name: string;
  /** Fit to these nodes (built-ins), or a fixed camera (saved by a user). */
  fit?: 'all' | 'switches' | 'problems';
  cam?: Cam;
  filter?: string;
}

const KEY = 'canopy.views';

export const BUILTIN_VIEWS: SavedView[] = [
  { name: 'Whole fabric', fit: 'all' },
  { name: 'Spines and leaves', fit: 'switches' },
  { name: 'Problems', fit: 'problems' },
];

export function loadViews(): SavedView[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as SavedView[]).filter((x) => typeof x?.name === 'string') : [];
  } catch {
    return [];
  }
}

export function saveView(v: SavedView): void {
  const all = loadViews().filter((x) => x.name !== v.name);
  all.push(v);
  localStorage.setItem(KEY, JSON.stringify(all));
}

export function fitFilter(fit: SavedView['fit']): ((n: VNode) => boolean) | undefined {
  if (fit === 'switches') return (n) => n.kind === 'spine' || n.kind === 'leaf';
  if (fit === 'problems') return (n) => n.state >= St.Degraded;
  return undefined;
}
