// A cabling plan (docs/architecture.md#cabling-intent): a CSV with the header
// `a_device,a_port,b_device,b_port`, or the static fabric DSL (topology/fabric-dsl.ts), read into
// one list of planned cables. Both throw CablingPlanError naming the line, so a bad plan is a 400 / exit 2.
import { FabricSyntaxError, parseFabricLine, type FabricRef } from '../topology/fabric-dsl.ts';

export interface PlanEnd {
  device: string;
  port: string;
}

export interface PlannedCable {
  a: PlanEnd;
  b: PlanEnd;
  /** 1-based line of the plan that declared it. */
  line: number;
}

export class CablingPlanError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export const CSV_HEADER = ['a_device', 'a_port', 'b_device', 'b_port'] as const;

/** One CSV record's fields (RFC 4180 quoting: "a,b" and "" inside quotes). */
function csvFields(line: string, n: number): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new CablingPlanError('unterminated quoted field', n);
  out.push(cur.trim());
  return out;
}

export function parseCablingCsv(text: string): PlannedCable[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new CablingPlanError('the plan is empty', 1);
  const header = csvFields(lines[first]!, first + 1).map((h) => h.toLowerCase());
  if (header.join(',') !== CSV_HEADER.join(','))
    throw new CablingPlanError(`the header must be exactly ${CSV_HEADER.join(',')}, not "${lines[first]!.trim()}"`, first + 1);
  const cables: PlannedCable[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const f = csvFields(raw, i + 1);
    if (f.length !== 4) throw new CablingPlanError(`expected 4 fields, found ${f.length}`, i + 1);
    const [ad, ap, bd, bp] = f as [string, string, string, string];
    if (!ad || !ap || !bd || !bp) throw new CablingPlanError('every field needs a value', i + 1);
    cables.push({ a: { device: ad, port: ap }, b: { device: bd, port: bp }, line: i + 1 });
  }
  return cables;
}

/**
 * The fabric DSL as a plan: `DEV -> PORT` makes PORT a port of DEV; `PORT --> PORT` (or `->` between
 * two ports) is a cable; `PORT --> *[Name=web1]/eth0` a cable to eth0 of device web1. Names come from
 * Name=… when given, else the label. Blank lines and `#` comments are skipped.
 */
export function parseCablingDsl(text: string): PlannedCable[] {
  const names = new Map<string, string>();
  const owner = new Map<string, string>();
  const links: { from: string; to: FabricRef; line: number }[] = [];
  const nameOf = (r: FabricRef): string => {
    if (r.kind === 'wildcard') return r.iface;
    const n = r.props.Name;
    if (n !== undefined) names.set(r.label, String(n));
    return names.get(r.label) ?? r.label;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    let l;
    try {
      l = parseFabricLine(t);
    } catch (e) {
      if (e instanceof FabricSyntaxError) throw new CablingPlanError(e.message, i + 1);
      throw e;
    }
    nameOf(l.from);
    if (!l.to || l.from.kind !== 'node') return;
    if (l.to.kind === 'node') nameOf(l.to);
    links.push({ from: l.from.label, to: l.to, line: i + 1 });
  });
  // First pass: `->` to a label not yet owned makes it a port (ownership), unless both ends are ports already.
  const cableLines: typeof links = [];
  for (const l of links) {
    if (l.to.kind === 'node' && !owner.has(l.to.label) && !owner.has(l.from)) {
      const arrowOwn = lines[l.line - 1]!.includes(' -> ');
      if (arrowOwn) {
        owner.set(l.to.label, l.from);
        continue;
      }
    }
    cableLines.push(l);
  }
  const end = (label: string, line: number): PlanEnd => {
    const dev = owner.get(label);
    if (!dev) throw new CablingPlanError(`"${label}" is not a port of any device (declare DEVICE -> ${label} first)`, line);
    return { device: names.get(dev) ?? dev, port: names.get(label) ?? label };
  };
  const cables: PlannedCable[] = [];
  for (const l of cableLines) {
    const a = end(l.from, l.line);
    let b: PlanEnd;
    if (l.to.kind === 'wildcard') {
      const dev = l.to.match.Name;
      if (dev === undefined) throw new CablingPlanError('a wildcard end needs Name=… to name its device', l.line);
      b = { device: String(dev), port: l.to.iface };
    } else b = end(l.to.label, l.line);
    cables.push({ a, b, line: l.line });
  }
  if (cables.length === 0) throw new CablingPlanError('the plan has no cables (PORT --> PORT lines)', lines.length);
  return cables;
}

/** CSV when the first non-blank line is the CSV header, else the fabric DSL. */
export function parseCablingPlan(text: string, format?: 'csv' | 'dsl'): PlannedCable[] {
  const first =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? '';
  const fmt = format ?? (first.trim().toLowerCase().startsWith('a_device') ? 'csv' : 'dsl');
  return fmt === 'csv' ? parseCablingCsv(text) : parseCablingDsl(text);
}
