// GET /api/metrics (a port's or a link's utilisation over time) and the opt-in Prometheus
// /metrics/interfaces (docs/architecture.md#port-metrics). Series come from the port series store
// through topology/port-rates.ts; nodes and links from the graph reader.
import { Gauge, Registry } from 'prom-client';
import type { ApiApp } from '../app.ts';
import { HttpProblem, json } from '../problem.ts';
import { parseTime } from './flows.ts';
import type { GraphReader } from '../../topology/store/graph-store.ts';
import { portRates, type PortSeriesStore, type SeriesRetention } from '../../topology/query/port-rates.ts';
import type { GraphNode } from '../../topology/types.ts';

export interface MetricsDeps {
  series: PortSeriesStore;
  retention: SeriesRetention;
  /** Serve /metrics/interfaces (api.interfaceMetrics). */
  interfaceGauges: boolean;
}

const PARAMS = ['node', 'from', 'to', 'step', 'source'] as const;
const TIME = 'epoch seconds, epoch ms, ISO 8601, or relative to now like -15m, -1h, -7d';
/** Answers are bounded: a client asking for a year at 10 s gets a 400 naming the limit. */
const MAX_POINTS = 20_000;

/** "60" (seconds, as Prometheus' step), "500ms", "30s", "5m", "1h", "1d". */
export function parseStep(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v);
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * mult;
  return ms >= 1000 ? Math.round(ms) : undefined;
}

const bad = (param: string, detail: string) => new HttpProblem(400, 'Bad Request', `${param}: ${detail}`, { parameter: param });

export function registerMetricRoutes(app: ApiApp, graph: GraphReader, m: MetricsDeps): void {
  app.get('/api/metrics', (c) => {
    const q = c.req.query();
    for (const k of Object.keys(q)) {
      if (!(PARAMS as readonly string[]).includes(k)) throw bad(k, `unknown parameter; known: ${PARAMS.join(', ')}`);
    }
    const now = Date.now();
    if (!q.node) throw bad('node', 'required: a port, interface or layer2 link ID');
    const from = q.from === undefined ? now - 3_600_000 : parseTime(q.from, now);
    if (from === undefined) throw bad('from', `expected ${TIME}`);
    const to = q.to === undefined ? now : parseTime(q.to, now);
    if (to === undefined) throw bad('to', `expected ${TIME}`);
    if (to <= from) throw bad('to', 'must be after from');
    let step: number | undefined;
    if (q.step !== undefined) {
      step = parseStep(q.step);
      if (step === undefined) throw bad('step', 'expected a duration of at least 1 s: 60 (seconds), 30s, 5m, 1h');
      if ((to - from) / step > MAX_POINTS) throw bad('step', `more than ${MAX_POINTS} points; use a larger step or a shorter range`);
    }
    const source = q.source || undefined;
    const rates = (nodeId: string) => portRates(m.series, { nodeId, from, to, step, source }, now, m.retention);
    const node = graph.getNode(q.node);
    if (node) {
      const r = rates(node.ID);
      return json(c, { node: node.ID, step: r.step, points: r.points });
    }
    const edge = graph.getEdge(q.node);
    if (!edge) throw new HttpProblem(404, 'Not Found', `no node or edge ${q.node}`);
    if (edge.Metadata.RelationType !== 'layer2') throw bad('node', `edge ${edge.ID} is not a layer2 link`);
    // A link's series is its two ends side by side; `points` repeats the Parent end's.
    const a = rates(edge.Parent);
    const b = rates(edge.Child);
    return json(c, {
      node: edge.ID,
      step: a.step,
      points: a.points,
      ends: [
        { node: edge.Parent, points: a.points },
        { node: edge.Child, points: b.points },
      ],
    });
  });

  if (m.interfaceGauges) {
    const reg = interfaceRegistry(graph);
    app.get('/metrics/interfaces', async (c) => c.body(await reg.metrics(), 200, { 'Content-Type': reg.contentType }));
  }
}

/** The switch (or host) owning a port, through its ownership edge. */
function ownerOf(graph: GraphReader, portId: string): GraphNode | undefined {
  const e = graph.edgesOf(portId, 'in').find((x) => x.Metadata.RelationType === 'ownership');
  return e ? graph.getNode(e.Parent) : undefined;
}

/**
 * Per-port gauges computed at scrape time from each port's LastUpdateMetric (the latest interval
 * of the source that feeds Metric), on a registry of their own so /metrics keeps its size.
 */
function interfaceRegistry(graph: GraphReader): Registry {
  const reg = new Registry();
  const labelNames = ['device', 'port', 'role'] as const;
  // One walk per scrape sets every gauge (prom-client calls collect() per metric; the first does the work).
  let scrape = 0;
  const collect = () => fill();
  const gauges = {
    inBits: new Gauge({
      name: 'canopy_interface_in_bits_per_second',
      help: 'Received bit/s over the last counter interval',
      labelNames,
      registers: [reg],
      collect,
    }),
    outBits: new Gauge({
      name: 'canopy_interface_out_bits_per_second',
      help: 'Sent bit/s over the last counter interval',
      labelNames,
      registers: [reg],
      collect,
    }),
    inPkts: new Gauge({
      name: 'canopy_interface_in_packets_per_second',
      help: 'Received packets/s',
      labelNames,
      registers: [reg],
      collect,
    }),
    outPkts: new Gauge({ name: 'canopy_interface_out_packets_per_second', help: 'Sent packets/s', labelNames, registers: [reg], collect }),
    inErrors: new Gauge({
      name: 'canopy_interface_in_errors',
      help: 'Receive errors in the last counter interval',
      labelNames,
      registers: [reg],
      collect,
    }),
    outErrors: new Gauge({
      name: 'canopy_interface_out_errors',
      help: 'Send errors in the last counter interval',
      labelNames,
      registers: [reg],
      collect,
    }),
    up: new Gauge({ name: 'canopy_interface_up', help: '1 when the port is UP, 0 otherwise', labelNames, registers: [reg], collect }),
  };
  function fill(): void {
    const now = Date.now();
    if (now === scrape) return;
    scrape = now;
    for (const g of Object.values(gauges)) g.reset();
    for (const p of graph.findNodes('Type', 'port')) {
      const owner = ownerOf(graph, p.ID);
      const labels = {
        device: String(owner?.Metadata.Name ?? ''),
        port: String(p.Metadata.Name ?? p.ID),
        role: String(owner?.Metadata.Role ?? ''),
      };
      if (p.Metadata.State !== undefined) gauges.up.set(labels, p.Metadata.State === 'UP' ? 1 : 0);
      const d = p.Metadata.LastUpdateMetric as Record<string, number> | undefined;
      if (!d || typeof d.Start !== 'number' || typeof d.Last !== 'number' || d.Last <= d.Start) continue;
      const secs = (d.Last - d.Start) / 1000;
      gauges.inBits.set(labels, ((d.RxBytes ?? 0) * 8) / secs);
      gauges.outBits.set(labels, ((d.TxBytes ?? 0) * 8) / secs);
      gauges.inPkts.set(labels, (d.RxPackets ?? 0) / secs);
      gauges.outPkts.set(labels, (d.TxPackets ?? 0) / secs);
      gauges.inErrors.set(labels, d.RxErrors ?? 0);
      gauges.outErrors.set(labels, d.TxErrors ?? 0);
    }
  }
  return reg;
}

export function metricsOpenApi(): Record<string, object> {
  const problemRef = {
    description: 'problem details (RFC 9457); `parameter` names the bad parameter',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  const num = { type: 'number' };
  const point = {
    type: 'object',
    required: [
      't',
      'inBitsPerSec',
      'outBitsPerSec',
      'inPktsPerSec',
      'outPktsPerSec',
      'inErrors',
      'outErrors',
      'inDiscards',
      'outDiscards',
      'source',
    ],
    properties: {
      t: { type: 'integer', description: 'bucket start, epoch ms' },
      inBitsPerSec: num,
      outBitsPerSec: num,
      inPktsPerSec: num,
      outPktsPerSec: num,
      inErrors: { type: 'integer', description: 'count within the bucket' },
      outErrors: { type: 'integer' },
      inDiscards: { type: 'integer' },
      outDiscards: { type: 'integer' },
      source: { type: 'string', description: 'sflow, snmp …: the source shown for this bucket' },
      operStatus: { type: 'integer', description: 'worst ifOperStatus in the bucket (1 up, 2 down)' },
    },
  };
  const points = { type: 'array', items: point };
  return {
    '/api/metrics': {
      get: {
        summary: "a port's, interface's or layer2 link's counter rates over time; a bucket with no reading is absent (a gap), never a zero",
        parameters: [
          {
            name: 'node',
            in: 'query',
            required: true,
            schema: { type: 'string' },
            description: 'a port or interface node ID, or a layer2 edge ID (its two ends side by side)',
          },
          { name: 'from', in: 'query', required: false, schema: { type: 'string' }, description: `start (${TIME}); default 1 h ago` },
          { name: 'to', in: 'query', required: false, schema: { type: 'string' }, description: `end (${TIME}); default now` },
          {
            name: 'step',
            in: 'query',
            required: false,
            schema: { type: 'string' },
            description:
              'bucket length: seconds (60) or a duration (30s, 5m, 1h); default about 300 points; never finer than the stored resolution',
          },
          {
            name: 'source',
            in: 'query',
            required: false,
            schema: { type: 'string' },
            description: 'one source only (sflow, snmp); default per bucket sFlow over SNMP',
          },
        ],
        responses: {
          200: {
            description: 'the series',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['node', 'step', 'points'],
                  properties: {
                    node: { type: 'string' },
                    step: { type: 'integer', description: 'bucket length, ms' },
                    points,
                    ends: {
                      type: 'array',
                      description: 'links only: each end',
                      items: { type: 'object', properties: { node: { type: 'string' }, points } },
                    },
                  },
                },
              },
            },
          },
          400: problemRef,
          404: problemRef,
        },
      },
    },
  };
}
