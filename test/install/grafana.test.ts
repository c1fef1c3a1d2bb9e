// contrib/grafana: every metric the dashboard and the alert rules query is one a running collector
// registers (names read from its /metrics, PromQL parsed with Prometheus' own lezer grammar, label
// names checked where the collector already has series); the dashboard type-checks against
// @grafana/schema's Dashboard (Grafana's published schema, as TypeScript types — there is no JSON
// schema of it on npm) plus the structure Grafana needs on import; the rules pass
// `promtool check rules` and the `promtool test rules` cases in canopy-alerts.promtool.yml.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parser } from '@prometheus-io/lezer-promql';
import ts from 'typescript';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from './collector-process.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'contrib/grafana');
const DASHBOARD_TEXT = readFileSync(join(DIR, 'canopy-dashboard.json'), 'utf8');
const DASHBOARD = JSON.parse(DASHBOARD_TEXT) as Dashboard;
const RULES = parse(readFileSync(join(DIR, 'canopy-alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

interface Target {
  expr: string;
  refId: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  datasource?: { uid?: string };
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

/** Metric names and, per metric, the label names of its series, from a /metrics text. */
function registered(text: string): { names: Set<string>; labels: Map<string, Set<string>> } {
  const names = new Set<string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) {
      names.add(t[1]!);
      if (t[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(t[1]! + s);
      if (t[2] === 'summary') for (const s of ['_sum', '_count']) names.add(t[1]! + s);
      continue;
    }
    const s = /^([a-zA-Z_:][\w:]*)\{([^}]*)\}/.exec(line);
    if (s) {
      const set = labels.get(s[1]!) ?? new Set<string>();
      for (const m of s[2]!.matchAll(/(\w+)="/g)) set.add(m[1]!);
      labels.set(s[1]!, set);
    }
  }
  return { names, labels };
}

/** Grafana's variables replaced by what they stand for, so that the text is plain PromQL. */
const plain = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replace(/\$\{?(\w+)\}?/g, 'x');

interface Use {
  metric: string;
  groupedBy: string[];
}
/** Metric selectors of a PromQL expression, with the `by (…)` labels of the aggregation around each. */
function metricsOf(expr: string): { uses: Use[]; errors: number } {
  const text = plain(expr);
  const uses: Use[] = [];
  let errors = 0;
  const by: string[][] = [];
  const tree = parser.parse(text);
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors++;
      if (n.name === 'AggregateExpr') {
        const mod = n.node.getChild('AggregateModifier');
        const isBy = mod?.getChild('By') != null;
        by.push(
          isBy
            ? mod
                .getChild('GroupingLabels')!
                .getChildren('LabelName')
                .map((l) => text.slice(l.from, l.to))
            : [],
        );
      }
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector')
        uses.push({ metric: text.slice(n.from, n.to), groupedBy: by.flat() });
    },
    leave: (n) => {
      if (n.name === 'AggregateExpr') by.pop();
    },
  });
  return { uses, errors };
}

function exprs(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of DASHBOARD.panels) for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
  for (const g of RULES.groups) for (const r of g.rules) out.push({ where: `alert ${r.alert}`, expr: r.expr });
  return out;
}

let collector: (RunningCollector & { dir: string }) | undefined;
let metrics: ReturnType<typeof registered>;
beforeAll(async () => {
  collector = await startCollector(process.execPath, [join(ROOT, 'bin/canopy.js')], { cwd: ROOT });
  metrics = registered(await (await fetch(`${collector.url}/metrics`)).text());
}, 120_000);
afterAll(async () => {
  await collector?.stop();
});

describe('contrib/grafana against a running collector', () => {
  it('queries only metrics the collector registers, with PromQL that parses', () => {
    const problems: string[] = [];
    let count = 0;
    for (const { where, expr } of exprs()) {
      const { uses, errors } = metricsOf(expr);
      if (errors) problems.push(`${where}: PromQL does not parse: ${expr}`);
      if (uses.length === 0) problems.push(`${where}: no metric`);
      for (const u of uses) {
        count++;
        if (!metrics.names.has(u.metric)) problems.push(`${where}: ${u.metric} is not registered`);
      }
    }
    for (const v of DASHBOARD.templating.list.filter((x) => x.type === 'query')) {
      const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string }).query;
      const m = /label_values\((\w+),/.exec(q ?? '');
      if (!m || !metrics.names.has(m[1]!)) problems.push(`variable ${v.name}: ${q}`);
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(40);
    // Every metric family the issue names is on the dashboard.
    const used = new Set(exprs().flatMap((e) => metricsOf(e.expr).uses.map((u) => u.metric)));
    for (const m of [
      'canopy_datagrams_received_total',
      'canopy_datagrams_dropped_total',
      'canopy_decode_errors_total',
      'canopy_snmp_device_up',
      'canopy_snmp_polls_total',
      'canopy_graph_nodes',
      'canopy_graph_edges',
      'canopy_stitch_conflicts',
    ])
      expect(used, m).toContain(m);
  });

  it('groups only by labels those metrics have (where the collector already has series)', () => {
    const problems: string[] = [];
    for (const { where, expr } of exprs()) {
      for (const u of metricsOf(expr).uses) {
        const have = metrics.labels.get(u.metric);
        if (!have) continue; // no series yet (e.g. per-exporter counters): names checked above
        for (const l of u.groupedBy)
          if (!['instance', 'job', 'le'].includes(l) && !have.has(l)) problems.push(`${where}: ${u.metric} has no label ${l}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the checks find an unknown metric, a wrong label and bad PromQL', () => {
    expect(metricsOf('rate(canopy_nope_total[5m])').uses.map((u) => metrics.names.has(u.metric))).toEqual([false]);
    expect(metricsOf('sum by (kind) (rate(canopy_sflow_samples_total[5m]))').uses[0]!.groupedBy).toEqual(['kind']);
    expect(metrics.labels.get('canopy_sflow_samples_total')?.has('kind')).toBe(false);
    expect(metricsOf('sum by (instance (rate(canopy_graph_nodes[5m]))').errors).toBeGreaterThan(0);
  });
});

describe('contrib/grafana/canopy-dashboard.json', () => {
  it("type-checks as @grafana/schema's Dashboard (no unknown keys, right value types)", () => {
    const check = (json: string) => {
      const file = join(ROOT, 'test/install/__dashboard-check.ts');
      // JSON cannot name a TypeScript string enum member: compare enums by their string values.
      const source = [
        "import type { Dashboard } from '@grafana/schema';",
        'type Json<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
        `export const d = (${json.trim()}) satisfies Json<Dashboard>;`,
      ].join('\n');
      const options: ts.CompilerOptions = {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        types: [],
      };
      const host = ts.createCompilerHost(options);
      const read = host.readFile.bind(host);
      host.readFile = (f) => (resolve(f) === file ? source : read(f));
      const exists = host.fileExists.bind(host);
      host.fileExists = (f) => resolve(f) === file || exists(f);
      const getSource = host.getSourceFile.bind(host);
      host.getSourceFile = (f, lang, ...rest) => (resolve(f) === file ? ts.createSourceFile(f, source, lang) : getSource(f, lang, ...rest));
      const program = ts.createProgram([file], options, host);
      return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]);
    };
    expect(check(DASHBOARD_TEXT)).toEqual([]);
    // The check itself: a misspelt top-level key and a wrong value type are errors.
    expect(check(DASHBOARD_TEXT.replace('"refresh"', '"refrsh"')).join('\n')).toMatch(/refrsh/);
    expect(check(DASHBOARD_TEXT.replace('"schemaVersion": 39', '"schemaVersion": "39"')).length).toBeGreaterThan(0);
  }, 60_000);

  it('has what Grafana needs to import it: unique ids, a 24-column grid, every query on the chosen Prometheus', () => {
    const ids = DASHBOARD.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(DASHBOARD.uid).toMatch(/^[\w-]{1,40}$/);
    for (const p of DASHBOARD.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      for (const t of p.targets ?? []) expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
    expect(DASHBOARD.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual(['datasource:datasource', 'instance:query']);
  });
});

describe.skipIf(!PROMTOOL)('contrib/grafana/canopy-alerts.yml (promtool)', () => {
  it('passes promtool check rules', async () => {
    const r = await run(PROMTOOL!, ['check', 'rules', join(DIR, 'canopy-alerts.yml')]);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('fires as the promtool unit cases expect', async () => {
    const cases = join(ROOT, 'test/install/canopy-alerts.promtool.yml');
    const r = await run(PROMTOOL!, ['test', 'rules', cases], { cwd: dirname(cases) });
    expect(r.stdout).toContain('SUCCESS');
  });
});
