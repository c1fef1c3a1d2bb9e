// Colours and sizes chosen for a dark wall seen from across the room: state is the loudest thing.
import { St } from '../model/types.ts';

export const BG = '#0b1016';
export const TEXT = '#e8edf2';
export const MUTED = '#7f8c99';

export const NODE_FILL: Record<St, string> = {
  [St.Unknown]: '#9aa7b4',
  [St.Up]: '#eef3f7',
  [St.Degraded]: '#ffb000',
  [St.Down]: '#ff3b30',
};

/** UP links brighten and widen with utilisation; bad states keep their colour at every load. */
export const UP_LINK = ['#56636f', '#7f95a8', '#a9c6de', '#d4ebff', '#ffffff'];
export const LINK_WIDTH = [1.2, 2, 3, 4.2, 6];

export function utilLevel(u: number): number {
  return u < 0.1 ? 0 : u < 0.3 ? 1 : u < 0.6 ? 2 : u < 0.9 ? 3 : 4;
}

export function linkColour(s: St, level: number): string {
  if (s === St.Down) return NODE_FILL[St.Down];
  if (s === St.Degraded) return NODE_FILL[St.Degraded];
  return UP_LINK[level]!;
}

/** World-unit sizes of the node squares by kind. */
export const NODE_SIZE = { spine: 44, leaf: 36, group: 30, host: 16, container: 9, netns: 9, iface: 7, other: 16 } as const;
/** World-unit label font sizes by kind. */
export const LABEL_SIZE = { spine: 20, leaf: 16, group: 14, host: 7, container: 5, netns: 5, iface: 4, other: 7 } as const;
