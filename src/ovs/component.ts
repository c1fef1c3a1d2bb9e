// The `ovsdb` component (docs/architecture.md#ovsdb): one replica per configured endpoint feeding
// the graph, and the capture service behind /api/capture. Always on: with no endpoints it only
// keeps the capture records (a capture on nothing OVS can serve is refused with the reason).
import type { Component, ComponentContext, ComponentSpec } from '../component/contract.ts';
import { give } from '../component/contract.ts';
import { AGENT_HUB, CAPTURE_ADMIN, CAPTURE_READERS, GRAPH_STORE } from '../component/provisions.ts';
import type { AgentOpener } from './endpoint.ts';
import { makeQueryRunner } from '../topology/query-adapters.ts';
import type { GraphNode } from '../topology/types.ts';
import { listenList, parseListen } from '../util/listen.ts';
import { RateLimitedLog } from '../util/log.ts';
import { CaptureService } from './captures.ts';
import { ovsdbMetrics } from './metrics.ts';
import { OvsEndpoint } from './ovs-endpoint.ts';

export interface OvsdbComponent extends Component {
  readonly endpoints: OvsEndpoint[];
  readonly captures: CaptureService;
}

export function createOvsdbComponent(
  ctx: ComponentContext,
  opts: { readers?: CaptureService['readers']; openAgent?: AgentOpener; onAgentConnect?: (f: (host: string) => void) => void } = {},
): OvsdbComponent {
  const cfg = ctx.config.ovsdb;
  const log = ctx.log.child({ component: 'ovsdb' });
  for (const e of cfg.endpoints) {
    if (e.startsWith('ssl:') && !cfg.tls) throw new Error(`ovsdb endpoint ${e} needs ovsdb.tls {key, cert, caCert}`);
    if (e.startsWith('agent:') && !opts.openAgent) throw new Error(`ovsdb endpoint ${e} needs host agents (the agents component)`);
  }
  const metrics = ovsdbMetrics(ctx.registry, cfg.endpoints);
  const sflowPort = ctx.config.sflow.enabled ? parseListen(listenList(ctx.config.sflow.listen)[0]!).port : undefined;
  // A capture's sFlow datagrams carry the agent address we set: name the bridge as that exporter.
  // OVS numbers the sub-agents of its sFlow bridges in its own hash order, so sub-agent 0 is known
  // to be this bridge only while it is the switch's one bridge with sFlow; with several, the sFlow
  // collector maps each sub-agent by the datapath ID its counter samples carry.
  const aliasAgents = () => {
    const links = captures.list().flatMap((c) => c.Applied.filter((a) => a.kind === 'sflow' && a.agent));
    if (!links.length) return;
    const sflowBridges = ctx.store.findNodes('Type', 'ovsbridge').filter((n) => n.DeletedAt === undefined && n.Metadata.SFlow);
    ctx.store.write((tx) => {
      for (const a of links) {
        if (a.kind !== 'sflow' || !tx.getNode(a.node)) continue;
        const ep = endpoints.find((e) => e.text === a.endpoint);
        if (!ep || sflowBridges.filter((n) => ep.owns(n.ID)).length !== 1) continue;
        const key = `exporter:${a.agent}:0`;
        if (tx.resolveAlias(key) !== a.node) tx.setAlias(key, a.node);
      }
    });
  };
  // Captures follow their query (Skydive's behaviour): the graph's change feed, debounced, re-applies them.
  const query = makeQueryRunner(ctx.store, { maxResults: ctx.config.api.queryMaxResults, timeoutMs: ctx.config.api.queryTimeoutMs });
  const select = (q: string): GraphNode[] => {
    const r = query(q);
    const nodes: GraphNode[] = [];
    for (const x of Array.isArray(r) ? r : []) {
      const id = (x as { ID?: unknown; Parent?: unknown } | null)?.ID;
      if (typeof id !== 'string' || (x as { Parent?: unknown }).Parent !== undefined) continue;
      const n = ctx.store.getNode(id);
      if (n && n.DeletedAt === undefined) nodes.push(n);
    }
    return nodes;
  };
  const followLog = new RateLimitedLog(log);
  let followTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  const follow = () => {
    if (stopped || followTimer || !captures.list().length) return;
    followTimer = setTimeout(() => {
      followTimer = null;
      void captures.reconcile();
    }, cfg.captureFollowDelay * 1000);
  };
  const endpoints = cfg.endpoints.map(
    (e) =>
      new OvsEndpoint(
        e,
        cfg,
        ctx.store,
        metrics,
        log,
        sflowPort,
        () => {
          aliasAgents();
          follow();
        },
        undefined,
        opts.openAgent,
      ),
  );
  // An agent that (re)connects: its endpoint reconnects now rather than after its backoff.
  opts.onAgentConnect?.((host) => {
    for (const e of endpoints) if (e.endpoint.kind === 'agent' && e.endpoint.agentHost === host) e.client.retryNow();
  });
  const captures = new CaptureService(ctx.storage.captures, () => endpoints, opts.readers, {
    sampling: cfg.captureSampling,
    polling: cfg.capturePolling,
    onCreated: aliasAgents,
    select,
    onFollowError: (id, err) =>
      followLog.warn(`follow:${id}`, { capture: id, err }, 'a capture could not follow its query; retried on the next change'),
  });
  let unsubscribe: (() => void) | null = null;
  return {
    name: 'ovsdb',
    endpoints,
    captures,
    async start() {
      stopped = false;
      unsubscribe = ctx.store.subscribe(follow);
      for (const e of endpoints) e.start();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
      if (followTimer) clearTimeout(followTimer);
      followTimer = null;
      // A reconcile pass under way finishes its transactions before the connections close.
      await captures.idle();
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
  // agent:HOST endpoints reach a host's OVSDB through its agent's relay.
  uses: [CAPTURE_READERS, AGENT_HUB],
  provides: [CAPTURE_ADMIN],
  create(ctx, provided) {
    const hub = provided.find(AGENT_HUB);
    const c = createOvsdbComponent(ctx, {
      readers: provided.find(CAPTURE_READERS),
      ...(hub ? { openAgent: (host: string) => hub.openOvsdbStream(host), onAgentConnect: (f) => hub.onConnect(f) } : {}),
    });
    return { component: c, provides: [give(CAPTURE_ADMIN, c.captures)] };
  },
};
