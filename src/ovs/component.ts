// The `ovsdb` component (docs/architecture.md#ovsdb): one replica per configured endpoint feeding
// the graph, and the capture service behind /api/capture. Always on: with no endpoints it only
// keeps the capture records (a capture on nothing OVS can serve is refused with the reason).
import type { Component, ComponentContext, ComponentSpec } from '../component/contract.ts';
import { give } from '../component/contract.ts';
import { CAPTURE_ADMIN, CAPTURE_READERS, GRAPH_STORE } from '../component/provisions.ts';
import { listenList, parseListen } from '../util/listen.ts';
import { CaptureService } from './captures.ts';
import { ovsdbMetrics } from './metrics.ts';
import { OvsEndpoint } from './ovs-endpoint.ts';

export interface OvsdbComponent extends Component {
  readonly endpoints: OvsEndpoint[];
  readonly captures: CaptureService;
}

export function createOvsdbComponent(ctx: ComponentContext, opts: { readers?: CaptureService['readers'] } = {}): OvsdbComponent {
  const cfg = ctx.config.ovsdb;
  const log = ctx.log.child({ component: 'ovsdb' });
  for (const e of cfg.endpoints)
    if (e.startsWith('ssl:') && !cfg.tls) throw new Error(`ovsdb endpoint ${e} needs ovsdb.tls {key, cert, caCert}`);
  const metrics = ovsdbMetrics(ctx.registry, cfg.endpoints);
  const sflowPort = ctx.config.sflow.enabled ? parseListen(listenList(ctx.config.sflow.listen)[0]!).port : undefined;
  // A capture's sFlow datagrams carry the agent address we set: name the bridge as that exporter.
  const aliasAgents = () => {
    const links = captures.list().flatMap((c) => c.Applied.filter((a) => a.kind === 'sflow' && a.agent));
    if (!links.length) return;
    ctx.store.write((tx) => {
      for (const a of links) if (a.kind === 'sflow' && tx.getNode(a.node)) tx.setAlias(`exporter:${a.agent}:0`, a.node);
    });
  };
  const endpoints = cfg.endpoints.map((e) => new OvsEndpoint(e, cfg, ctx.store, metrics, log, sflowPort, aliasAgents));
  const captures = new CaptureService(ctx.storage.captures, () => endpoints, opts.readers, {
    sampling: cfg.captureSampling,
    polling: cfg.capturePolling,
    onCreated: aliasAgents,
  });
  return {
    name: 'ovsdb',
    endpoints,
    captures,
    async start() {
      for (const e of endpoints) e.start();
    },
    async stop() {
      for (const e of endpoints) e.stop();
    },
    status: () => ({
      endpoints: Object.fromEntries(endpoints.map((e) => [e.text, e.status()])),
      captures: captures.list().length,
    }),
  };
}

export const ovsdbComponent: ComponentSpec = {
  name: 'ovsdb',
  needs: [GRAPH_STORE],
  uses: [CAPTURE_READERS],
  provides: [CAPTURE_ADMIN],
  create(ctx, provided) {
    const c = createOvsdbComponent(ctx, { readers: provided.find(CAPTURE_READERS) });
    return { component: c, provides: [give(CAPTURE_ADMIN, c.captures)] };
  },
};
