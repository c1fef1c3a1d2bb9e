// Parser for the static fabric DSL (docs/architecture.md#static-fabric, Skydive-compatible):
//   TOR1[Name=tor1] -> TOR1_PORT1[Name=port1, MTU=1500]    ownership + layer2
//   A --> B                                                layer2 only
//   TOR1_PORT1 --> *[Type=host,Name=web1]/eth0             the eth0 of a matching host, now or later

export type FabricValue = string | number | boolean;

export interface FabricNodeRef {
  kind: 'node';
  label: string;
  props: Record<string, FabricValue>;
}

export interface FabricWildcardRef {
  kind: 'wildcard';
  match: Record<string, FabricValue>;
  /** Name of the matched host's interface (ownership child). */
  iface: string;
}

export type FabricRef = FabricNodeRef | FabricWildcardRef;

export interface FabricLine {
  from: FabricRef;
  to?: FabricRef;
  /** '->' ownership + layer2, '-->' layer2 only. */
  arrow?: '->' | '-->';
}

export class FabricSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`at ${position}: ${message}`);
  }
}

function parseValue(v: string): FabricValue {
  const t = v.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  const q = /^(['"])(.*)\1$/.exec(t);
  return q ? q[2]! : t;
}

function parseProps(text: string, base: number): Record<string, FabricValue> {
  const out: Record<string, FabricValue> = {};
  if (!text.trim()) return out;
  let pos = base;
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new FabricSyntaxError(`expected KEY=VALUE but found "${part.trim()}"`, pos);
    const key = part.slice(0, i).trim();
    if (!/^[A-Za-z_][\w.]*$/.test(key)) throw new FabricSyntaxError(`"${key}" is not a metadata key`, pos);
    out[key] = parseValue(part.slice(i + 1));
    pos += part.length + 1;
  }
  return out;
}

function parseRef(text: string, base: number): FabricRef {
  const t = text.trim();
  const offset = base + text.indexOf(t);
  const wild = /^\*\[([^\]]*)\]\/(\S+)$/.exec(t);
  if (wild) {
    const match = parseProps(wild[1]!, offset + 2);
    if (Object.keys(match).length === 0) throw new FabricSyntaxError('a wildcard needs at least one KEY=VALUE', offset);
    return { kind: 'wildcard', match, iface: wild[2]! };
  }
  const m = /^([A-Za-z0-9_.:-]+)(?:\[([^\]]*)\])?$/.exec(t);
  if (!m) throw new FabricSyntaxError(`expected LABEL, LABEL[KEY=VALUE,…] or *[KEY=VALUE,…]/IFACE but found "${t}"`, offset);
  return { kind: 'node', label: m[1]!, props: parseProps(m[2] ?? '', offset + m[1]!.length + 1) };
}

export function parseFabricLine(line: string): FabricLine {
  const m = /\s(-->|->)\s/.exec(line);
  if (!m) {
    const from = parseRef(line, 0);
    if (from.kind === 'wildcard') throw new FabricSyntaxError('a wildcard can only be the target of a link', 0);
    return { from };
  }
  const from = parseRef(line.slice(0, m.index), 0);
  const to = parseRef(line.slice(m.index + m[0].length), m.index + m[0].length);
  if (from.kind === 'wildcard') throw new FabricSyntaxError('a wildcard can only be the target of a link', 0);
  if (to.kind === 'wildcard' && m[1] === '->')
    throw new FabricSyntaxError('a wildcard target takes a layer2 link (-->), not ownership', m.index);
  return { from, to, arrow: m[1] as '->' | '-->' };
}
