// GET /api/flows?exporter=&node=&addr=&port=&proto=&from=&to=&top=
import type { ApiApp } from '../../api/app.ts';
import { json, problem } from '../../api/problem.ts';
import type { FlowPipeline } from './pipeline.ts';
import type { FlowQuery } from './flow-store.ts';

const INT = /^\d+$/;

/** Times: epoch ms, epoch seconds (< 2^31), ISO 8601, or a relative '-15m'. */
export function parseTime(v: string, now = Date.now()): number | undefined {
  if (INT.test(v)) {
    const n = Number(v);
    return n < 2 ** 31 ? n * 1000 : n;
  }
  const rel = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v);
  if (rel) {
    const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(rel[1]) * mult;
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function registerFlowRoutes(app: ApiApp, pipeline: FlowPipeline): void {
  app.get('/api/flows', (c) => {
    const q: FlowQuery = {};
    const p = c.req.query();
    const bad = (k: string, why: string) => problem(c, 400, 'Bad Request', `${k}: ${why}`);
    for (const k of Object.keys(p)) {
      if (!['exporter', 'node', 'addr', 'port', 'proto', 'from', 'to', 'top'].includes(k)) return bad(k, 'unknown parameter');
    }
    if (p.exporter) q.exporter = p.exporter;
    if (p.node) q.node = p.node;
    if (p.addr) q.addr = p.addr;
    for (const k of ['port', 'proto', 'top'] as const) {
      if (p[k] === undefined) continue;
      if (!INT.test(p[k]) || Number(p[k]) > (k === 'top' ? 10_000 : 65535)) return bad(k, k === 'top' ? 'an integer up to 10000' : 'an integer up to 65535');
      q[k] = Number(p[k]);
    }
    for (const k of ['from', 'to'] as const) {
      if (p[k] === undefined) continue;
      const t = parseTime(p[k]);
      if (t === undefined) return bad(k, 'epoch seconds/ms, ISO 8601 or a relative time like -15m');
      q[k] = t;
    }
    // Flows still in the table are part of the answer.
    pipeline.flush();
    return json(c, pipeline.store.query(q, pipeline.windowStart()));
  });
}
