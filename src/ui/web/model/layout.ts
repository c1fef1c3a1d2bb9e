// Stable tiered placement (docs/architecture.md#wall-display). Every key keeps the slot it got the first time it was seen,
// even after it disappears, so nothing already drawn moves when nodes come, go or come back.
// The first batch is sorted by name, so the same graph always gets the same picture. Tiers sit a
// fixed distance apart; the container tier follows the deepest host grid shown, and devices with
// no switch go to a corner block instead of a tier of their own. Filling the screen is the
// camera's job (render/camera.ts), so it never moves a node.

export const LAYOUT = {
  SPINE_Y: 0,
  LEAF_Y: 320,
  HOST_Y: 560,
  LEAF_DX: 200,
  /** Host grid under each TOR: wide enough cells for a label under each host. */
  HOST_COLS: 4,
  HOST_DX: 46,
  HOST_DY: 40,
  CONTAINER_COLS: 8,
  CONTAINER_DX: 22,
  CONTAINER_DY: 22,
  /** Containers start this far below the deepest host row shown. */
  CONTAINER_GAP: 110,
  /** Devices wired to no switch (flow exporters without SNMP, lone hosts): a block left of the fabric. */
  UNATTACHED_COLS: 2,
  UNATTACHED_DX: 80,
  UNATTACHED_DY: 64,
  UNATTACHED_GAP: 110,
} as const;

/** Leftmost x any TOR's host grid can reach: the unattached block keeps clear of it. */
const FABRIC_LEFT = -((LAYOUT.HOST_COLS - 1) * LAYOUT.HOST_DX) / 2;

/** Where the container tier starts when the deepest host grid shown has `hostRows` rows. */
export function containerY(hostRows: number): number {
  return LAYOUT.HOST_Y + Math.max(1, hostRows) * LAYOUT.HOST_DY + LAYOUT.CONTAINER_GAP;
}

export class Slots {
  private readonly byKey = new Map<string, number>();
  private next = 0;

  /** Gives the keys that have no slot yet the next free ones, in the order given. */
  assign(keys: Iterable<string>): void {
    for (const k of keys) if (!this.byKey.has(k)) this.byKey.set(k, this.next++);
  }

  slot(key: string): number {
    return this.byKey.get(key) ?? -1;
  }
}

/** Sorts new keys by their label (then key) before slotting, so a first load is deterministic. */
export function assignSorted(slots: Slots, keys: string[], label: (k: string) => string): void {
  const fresh = keys.filter((k) => slots.slot(k) < 0);
  fresh.sort((a, b) => {
    const la = label(a);
    const lb = label(b);
    return la < lb ? -1 : la > lb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  slots.assign(fresh);
}

export class TierLayout {
  readonly spines = new Slots();
  readonly leaves = new Slots();
  readonly others = new Slots();
  private readonly hosts = new Map<string, Slots>();
  private readonly containers = new Map<string, Slots>();
  /** Spine spacing and origin, fixed the first time spines and leaves are both present. */
  private spineFrame: { x0: number; dx: number } | undefined;

  hostSlots(tor: string): Slots {
    let s = this.hosts.get(tor);
    if (!s) this.hosts.set(tor, (s = new Slots()));
    return s;
  }

  containerSlots(tor: string): Slots {
    let s = this.containers.get(tor);
    if (!s) this.containers.set(tor, (s = new Slots()));
    return s;
  }

  /**
   * Spreads the spines over the leaf row. The frame is fixed the first time spines and leaves are
   * both present (later spines append with the same spacing, so nothing moves), and set again only
   * when the spine row ends up clearly off the leaf row: a first snapshot taken while the collector
   * starts (LLDP placeholders counted as leaves, then merged away) would otherwise leave the spines
   * hanging off to one side for as long as the page stays open.
   */
  frameSpines(spines: string[], leafXs: number[]): void {
    if (spines.length === 0 || leafXs.length === 0) return;
    const lo = Math.min(...leafXs);
    const hi = Math.max(...leafXs);
    const slots = spines.map((k) => this.spines.slot(k));
    const smin = Math.min(...slots);
    const smax = Math.max(...slots);
    const f = this.spineFrame;
    if (f && Math.abs(f.x0 + ((smin + smax) / 2) * f.dx - (lo + hi) / 2) <= (hi - lo) / 2 + LAYOUT.LEAF_DX) return;
    const dx = smax === smin ? LAYOUT.LEAF_DX : Math.max(LAYOUT.LEAF_DX, (hi - lo) / (smax - smin));
    this.spineFrame = { x0: (lo + hi) / 2 - ((smin + smax) / 2) * dx, dx };
  }

  spineXY(key: string): [number, number] {
    const f = this.spineFrame ?? { x0: 0, dx: LAYOUT.LEAF_DX };
    return [f.x0 + this.spines.slot(key) * f.dx, LAYOUT.SPINE_Y];
  }

  leafXY(key: string): [number, number] {
    return [this.leaves.slot(key) * LAYOUT.LEAF_DX, LAYOUT.LEAF_Y];
  }

  groupXY(torX: number): [number, number] {
    return [torX, LAYOUT.HOST_Y];
  }

  /** Rows a TOR's host grid takes with `n` hosts slotted. */
  static hostRows(n: number): number {
    return Math.ceil(n / LAYOUT.HOST_COLS);
  }

  hostXY(torX: number, slot: number): [number, number] {
    const col = slot % LAYOUT.HOST_COLS;
    const row = Math.floor(slot / LAYOUT.HOST_COLS);
    const w = (LAYOUT.HOST_COLS - 1) * LAYOUT.HOST_DX;
    return [torX - w / 2 + col * LAYOUT.HOST_DX, LAYOUT.HOST_Y + row * LAYOUT.HOST_DY];
  }

  containerXY(torX: number, slot: number, tierY: number): [number, number] {
    const col = slot % LAYOUT.CONTAINER_COLS;
    const row = Math.floor(slot / LAYOUT.CONTAINER_COLS);
    const w = (LAYOUT.CONTAINER_COLS - 1) * LAYOUT.CONTAINER_DX;
    return [torX - w / 2 + col * LAYOUT.CONTAINER_DX, tierY + row * LAYOUT.CONTAINER_DY];
  }

  /**
   * Devices with no switch (exporters without SNMP, unattached hosts …): a small block in the
   * top-left corner, left of the fabric, filled row by row from the spine tier down. It never
   * stretches the tiers and nothing in it moves when the fabric grows to the right.
   */
  unattachedXY(key: string): [number, number] {
    const s = this.others.slot(key);
    const cols = LAYOUT.UNATTACHED_COLS;
    const [x0, y0] = this.unattachedOrigin();
    return [x0 + (s % cols) * LAYOUT.UNATTACHED_DX, y0 + Math.floor(s / cols) * LAYOUT.UNATTACHED_DY];
  }

  /** The unattached block's first slot (its top-left node). */
  unattachedOrigin(): [number, number] {
    return [FABRIC_LEFT - LAYOUT.UNATTACHED_GAP - (LAYOUT.UNATTACHED_COLS - 1) * LAYOUT.UNATTACHED_DX, LAYOUT.SPINE_Y];
  }
}
