// The matrix as CSV (skydive-flow-matrix's header and columns), JSON and Graphviz DOT: one cluster
// per host, one node per process (path and name), edges client → server labelled `PROTO : ip:port`.
import { CSV_COLUMNS, type MatrixRow } from './matrix.ts';

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv(rows: MatrixRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push(CSV_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return lines.join('\n') + '\n';
}

/** Rows with the CSV's fields only (the host node IDs are the API's business). */
export function toJson(rows: MatrixRow[]): Record<string, string | number>[] {
  return rows.map((r) => Object.fromEntries(CSV_COLUMNS.map((c) => [c, r[c]])));
}

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export function toDot(rows: MatrixRow[]): string {
  // host → process key → label
  const hosts = new Map<string, Map<string, string>>();
  const node = (host: string, path: string, name: string) => {
    let procs = hosts.get(host);
    if (!procs) hosts.set(host, (procs = new Map()));
    // A process is its executable and its name: interpreters run many services from one path.
    const key = `${host}|${path}|${name}`;
    if (!procs.has(key)) procs.set(key, name || path || '?');
    return key;
  };
  const edges = new Map<string, string>();
  for (const r of rows) {
    const s = node(r.server, r.server_proc, r.server_procname);
    const c = node(r.client, r.client_proc, r.client_procname);
    const label = `${r.protocol} : ${r.server_ip.includes(':') ? `[${r.server_ip}]` : r.server_ip}:${r.port}`;
    edges.set(`${c}\u0000${s}\u0000${label}`, `  ${q(c)} -> ${q(s)} [label=${q(label)}];`);
  }
  const out = [
    'digraph flowmatrix {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  let i = 0;
  for (const [host, procs] of [...hosts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    out.push(`  subgraph ${q(`cluster_${i++}`)} {`, `    label=${q(host)};`);
    for (const [key, label] of procs) out.push(`    ${q(key)} [label=${q(label)}];`);
    out.push('  }');
  }
  out.push(...[...edges.values()].sort(), '}');
  return out.join('\n') + '\n';
}
