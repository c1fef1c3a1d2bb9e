// One rule's alert instances (docs/alerts.md#states), each keyed by the element it concerns: the
// hold-down (`for`) before firing, resolving when the condition no longer holds, and flap damping —
// an instance that changes state more than `flapChanges` times within `flapWindow` is held (its
// changes are not sent) until it has been quiet for a whole window; then its current state is sent
// if it differs from the last one sent. Pure: the caller gives the time.

/** What a condition found: one element (or exporter, or cable) the alert concerns. */
export interface Subject {
  /** Stable key of the element: its graph ID, or a name for what is not in the graph. */
  key: string;
  /** Alertmanager labels besides `alertname` (element name, type, device …). */
  labels: Record<string, string>;
  /** One line saying what is wrong, for the summary annotation and Slack. */
  summary: string;
}

export interface Transition {
  status: 'firing' | 'resolved';
  key: string;
  subject: Subject;
  startsAt: number;
  endsAt?: number;
}

export interface Damping {
  /** Hold-down before firing (ms). */
  forMs: number;
  flapChanges: number;
  flapWindowMs: number;
}

interface Instance {
  subject: Subject;
  phase: 'pending' | 'firing' | 'resolved';
  /** When the condition started holding (pending/firing) or stopped (resolved). */
  since: number;
  firedAt?: number;
  resolvedAt?: number;
  /** Times of state changes (firing↔resolved) within the flap window. */
  flips: number[];
  held: boolean;
  /** The last status delivered. */
  sent?: 'firing' | 'resolved';
}

export interface InstanceView {
  key: string;
  state: 'pending' | 'firing' | 'resolved';
  held: boolean;
  since: number;
  summary: string;
  labels: Record<string, string>;
}

export class RuleState {
  private readonly instances = new Map<string, Instance>();

  constructor(private readonly d: Damping) {}

  /** One evaluation's result: every subject the condition holds for now. Returns what to send. */
  update(active: readonly Subject[], now: number): Transition[] {
    const out: Transition[] = [];
    const seen = new Set<string>();
    for (const s of active) {
      if (seen.has(s.key)) continue;
      seen.add(s.key);
      let i = this.instances.get(s.key);
      if (!i) {
        i = { subject: s, phase: 'pending', since: now, flips: [], held: false };
        this.instances.set(s.key, i);
      }
      i.subject = s;
      if (i.phase === 'resolved') {
        i.phase = 'pending';
        i.since = now;
      }
      if (i.phase === 'pending' && now - i.since >= this.d.forMs) {
        i.phase = 'firing';
        i.firedAt = now;
        this.flip(i, now, out);
      }
    }
    for (const [key, i] of this.instances) {
      if (seen.has(key)) continue;
      if (i.phase === 'pending') {
        // Never fired: nothing was sent, so nothing to resolve — unless a held instance is waiting.
        if (i.flips.length === 0 && i.sent !== 'firing') this.instances.delete(key);
        else {
          i.phase = 'resolved';
          i.since = now;
        }
      } else if (i.phase === 'firing') {
        i.phase = 'resolved';
        i.since = now;
        i.resolvedAt = now;
        this.flip(i, now, out);
      }
    }
    this.release(now, out);
    return out;
  }

  private flip(i: Instance, now: number, out: Transition[]): void {
    i.flips = i.flips.filter((t) => now - t < this.d.flapWindowMs);
    i.flips.push(now);
    if (i.flips.length > this.d.flapChanges) i.held = true;
    if (!i.held) this.send(i, out);
  }

  private send(i: Instance, out: Transition[]): void {
    const status = i.phase === 'firing' ? 'firing' : 'resolved';
    if (i.sent === status || (status === 'resolved' && i.sent === undefined)) return;
    i.sent = status;
    out.push({
      status,
      key: i.subject.key,
      subject: i.subject,
      startsAt: i.firedAt ?? i.since,
      ...(status === 'resolved' ? { endsAt: i.resolvedAt ?? i.since } : {}),
    });
  }

  /** Held instances quiet for a whole window are released; settled resolved ones are forgotten. */
  private release(now: number, out: Transition[]): void {
    for (const [key, i] of this.instances) {
      const last = i.flips[i.flips.length - 1];
      const quiet = last === undefined || now - last >= this.d.flapWindowMs;
      if (i.held && quiet) {
        i.held = false;
        i.flips = [];
        if (i.phase !== 'pending') this.send(i, out);
      }
      if (!i.held && quiet && i.phase === 'resolved' && i.sent !== 'firing') this.instances.delete(key);
    }
  }

  /** Instances not yet resolved and settled, for GET /api/alert. */
  view(): InstanceView[] {
    return [...this.instances.entries()].map(([key, i]) => ({
      key,
      state: i.phase,
      held: i.held,
      since: i.since,
      summary: i.subject.summary,
      labels: i.subject.labels,
    }));
  }

  /** The rule's overall state: firing if any instance fires, else pending, else inactive. */
  summary(): { state: 'inactive' | 'pending' | 'firing'; firing: number; pending: number; held: number } {
    let firing = 0;
    let pending = 0;
    let held = 0;
    for (const i of this.instances.values()) {
      if (i.phase === 'firing') firing++;
      else if (i.phase === 'pending') pending++;
      if (i.held) held++;
    }
    return { state: firing ? 'firing' : pending ? 'pending' : 'inactive', firing, pending, held };
  }

  /** Every instance still firing as sent (a rule removed resolves them). */
  resolveAll(now: number): Transition[] {
    const out: Transition[] = [];
    for (const i of this.instances.values()) {
      if (i.sent === 'firing') {
        i.phase = 'resolved';
        i.resolvedAt = now;
        this.send(i, out);
      }
    }
    this.instances.clear();
    return out;
  }
}
