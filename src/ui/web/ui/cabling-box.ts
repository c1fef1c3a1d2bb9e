// The cabling check on the wall: when the collector has a plan configured (topology.cablingIntent),
// GET /api/cabling every 30 s; a box lists the missing, unexpected and miswired cables, and the
// map marks them (model/marks.ts). Hidden when no plan is configured.
import { fetchCabling, type CableEndView, type CablingView } from '../net/timeline.ts';
import { h } from './dom.ts';

const REFRESH_MS = 30_000;

const end = (e: CableEndView) => `${e.device} ${e.port}`;

export class CablingBox {
  report: CablingView | null = null;
  private timer: number | undefined;

  constructor(
    private readonly box: HTMLElement,
    private readonly changed: () => void,
  ) {}

  start(): void {
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      this.report = await fetchCabling();
    } catch (e) {
      this.report = null;
      this.box.replaceChildren(h('h3', {}, 'Cabling'), h('div', { class: 'err' }, (e as Error).message));
      this.box.hidden = false;
      this.changed();
      return;
    }
    const r = this.report;
    if (!r) {
      this.box.hidden = true;
      this.changed();
      return;
    }
    const bad = r.missing.length + r.unexpected.length + r.miswired.length;
    const line = (cls: string, label: string, text: string, detail?: string) =>
      h('div', { class: `cable ${cls}` }, h('span', { class: 'tag' }, label), ' ', text, detail ? h('small', {}, detail) : null);
    this.box.replaceChildren(
      h('h3', {}, bad ? `Cabling: ${bad} of ${bad + r.ok.length} cables off plan` : `Cabling: all ${r.ok.length} cables as planned`),
      ...r.miswired.map((x) =>
        line('miswired', 'miswired', `${end(x.planned.a)} — ${end(x.planned.b)}`, `expected ${end(x.expected)}, found ${end(x.found)}`),
      ),
      ...r.missing.map((x) => line('missing', 'missing', `${end(x.planned.a)} — ${end(x.planned.b)}`, x.reason)),
      ...r.unexpected.map((x) => line('unexpected', 'unexpected', `${end(x.a)} — ${end(x.b)}`)),
    );
    this.box.hidden = false;
    this.changed();
  }
}
