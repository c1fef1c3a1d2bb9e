// The change list of the time slider's window: what changed between the instant the slider
// shows and now (GET /api/changes), newest first, in a box at the bottom left; a row flies to the
// element. The map outlines the same elements (model/marks.ts).
import { fetchChanges, type WallChange } from '../net/timeline.ts';
import { h } from './dom.ts';

/** Rows the box lists at most (the count says how many there were). */
const MAX_ROWS = 200;

const KIND_LABEL: Record<string, string> = {
  'link-up': 'up',
  'link-down': 'down',
  'link-added': 'link new',
  'link-removed': 'link gone',
  'lldp-neighbour-new': 'neighbour new',
  'lldp-neighbour-lost': 'neighbour lost',
  'lag-member-lost': 'LAG member lost',
  'mac-moved': 'moved',
  'ip-moved': 'IP moved',
  rebooted: 'rebooted',
  'speed-changed': 'speed',
  'mtu-changed': 'MTU',
  'node-added': 'new',
  'node-removed': 'gone',
};

const fmtValue = (v: unknown) => (typeof v === 'number' && v > 1e6 && v % 1e6 === 0 ? `${v / 1e6}M` : String(v));

export class ChangesBox {
  /** The window's changes (empty when the slider is at "now"). */
  changes: WallChange[] = [];
  from = 0;

  constructor(
    private readonly box: HTMLElement,
    private readonly names: (id: string) => string,
    private readonly go: (id: string) => void,
    private readonly changed: () => void,
  ) {}

  /** Shows the changes since `from` (epoch ms), or hides the box when from is undefined. */
  async show(from: number | undefined): Promise<void> {
    if (from === undefined) {
      this.changes = [];
      this.box.hidden = true;
      this.changed();
      return;
    }
    this.from = from;
    const to = Date.now();
    try {
      this.changes = await fetchChanges(from, to);
    } catch (e) {
      this.changes = [];
      this.box.replaceChildren(h('div', { class: 'err' }, (e as Error).message));
      this.box.hidden = false;
      this.changed();
      return;
    }
    const rows = [...this.changes].reverse().slice(0, MAX_ROWS);
    const head = h(
      'h3',
      {},
      `${this.changes.length} change${this.changes.length === 1 ? '' : 's'} since ${new Date(from).toLocaleString()}`,
    );
    this.box.replaceChildren(head, ...rows.map((c) => this.row(c)));
    this.box.hidden = false;
    this.changed();
  }

  private row(c: WallChange): HTMLElement {
    const target = c.Element === 'edge' ? (c.Parent ?? c.ID) : c.ID;
    const what = c.Element === 'edge' ? `${this.names(c.Parent ?? '')} — ${this.names(c.Child ?? '')}` : this.names(c.ID);
    let detail = '';
    if (c.Kind === 'mac-moved' || c.Kind === 'ip-moved') detail = `${this.names(String(c.Old))} → ${this.names(String(c.New))}`;
    else if (c.Key && c.Key !== 'State' && c.Key !== 'Evidence' && c.Key !== 'BootTime') detail = `${fmtValue(c.Old)} → ${fmtValue(c.New)}`;
    const r = h(
      'div',
      { class: `change k-${c.Kind}`, 'data-kind': c.Kind, 'data-id': c.ID },
      h('span', { class: 'when' }, new Date(c.At).toLocaleTimeString()),
      h('span', { class: 'kind' }, KIND_LABEL[c.Kind] ?? c.Kind),
      h('span', { class: 'what' }, what),
      detail ? h('small', {}, detail) : null,
    );
    r.onclick = () => this.go(target);
    return r;
  }
}
