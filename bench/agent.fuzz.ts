// `npm run fuzz`: the collector's handling of host-agent WebSocket messages (src/api/ws/publisher.ts,
// agents.ts, agent-captures.ts), end to end: a real collector (SQLite store, API server on a loopback
// port, agent token auth) and a real WebSocket client on /ws/agent sending one message per input,
// then a ping whose pong says every earlier message was handled. Seeds are what the real agent code
// sends (src/agent/graph: Sync, NodeAdded/Updated/Deleted, EdgeAdded… built from fixtures/agent)
// plus capture and relay frames. The contract: a bad message is dropped, counted and at most
// answered with a 400 `Error` frame; a 500 frame, a closed connection or an uncaught error is a crash.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import WebSocket from 'ws';
import { buildGraph, type NsSnapshot, type SubGraph } from '../src/agent/graph/build.ts';
import { diffGraphs, emptyGraph } from '../src/agent/graph/diff.ts';
import { parseChassis, parseNeighbours } from '../src/agent/lldp/lldpcli.ts';
import { parseIface } from '../src/agent/netlink/ip-json.ts';
import { startTestCollector, type TestCollector } from '../test/api/helpers.ts';
import { inputRng, mutateText, pick, sampleArb, type FuzzSession, type FuzzTarget, type Outcome } from './lib/fuzz-core.ts';

const FX = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/agent');
const fx = (f: string) => readFileSync(join(FX, f), 'utf8');
const TOKEN = 'agent-token-fuzz-0123456789';
const HOST = { name: 'fuzz1', hostname: 'fuzz1.example.com', machineId: 'mid-fuzz1', kernel: '6.1' };

const frame = (Type: string, Obj: unknown) =>
  JSON.stringify({ Namespace: 'Graph', Type, UUID: '6f1c1a4e-0000-4000-8000-000000000001', Status: 200, Obj });

function graphOf(file: string, withLldp: boolean): SubGraph {
  const ns: NsSnapshot = {
    ref: { key: '', kind: 'root', path: '/proc/self/ns/net', inode: 1 },
    ifaces: (JSON.parse(fx(file)) as unknown[]).map(parseIface).filter((x) => x !== undefined),
    nsIds: [],
  };
  const lldp = withLldp
    ? { chassis: parseChassis(fx('lldpcli-chassis.json0.json')), neighbours: parseNeighbours(fx('lldpcli-neighbors.json0.json')) }
    : undefined;
  return buildGraph({ host: HOST, netnsDir: '/run/netns', namespaces: [ns], containers: [], ...(lldp ? { lldp } : {}) });
}

/** The messages the real agent code sends for the fixture hosts, and the capture / relay frames. */
export function agentSeeds(): string[] {
  const a = graphOf('ip-live-agtest-a.json', true);
  const b = graphOf('ip-synthetic-kinds.json', false);
  const sync = (g: SubGraph) => frame('Sync', { Nodes: [...g.nodes.values()], Edges: [...g.edges.values()] });
  const events = [...diffGraphs(emptyGraph(), a), ...diffGraphs(a, b), ...diffGraphs(b, emptyGraph())].map((e) => frame(e.Type, e.Obj));
  const flow = {
    srcAddr: '10.9.0.1',
    dstAddr: '10.9.0.2',
    srcMac: '02:00:00:00:00:01',
    dstMac: '02:00:00:00:00:02',
    proto: 6,
    srcPort: 40000,
    dstPort: 443,
    etherType: 2048,
    vlan: 0,
    packets: 3,
    bytes: 180,
    first: 1,
    last: 2,
    tcpFlags: 18,
  };
  return [
    sync(a),
    sync(b),
    ...events,
    frame('SyncRequest', {}),
    frame('CaptureFlows', { UUID: 'cap-1', Interface: 'va', Flows: [flow] }),
    frame('CaptureError', { UUID: 'cap-1', Interface: 'va', Error: 'no such device' }),
    frame('OvsdbRelayError', { Session: '6f1c1a4e-0000-4000-8000-000000000002', Error: 'refused' }),
  ];
}

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  'null',
  'true',
  '0',
  '-1',
  '1e999',
  '""',
  '"ID"',
  '"Parent"',
  '"Child"',
  '"Metadata"',
  '"Type"',
  '"Obj"',
  '"Nodes"',
  '"Edges"',
  '"Sync"',
  '"NodeAdded"',
  '"EdgeAdded"',
  '"NodeDeleted"',
  '"CaptureFlows"',
  '"OvsdbRelayError"',
  '"__proto__"',
  '"constructor"',
  '[[[[[[',
  '"\\u0000"',
  '"\\ud800"',
];

const md = fc.dictionary(
  fc.oneof(
    fc.constantFrom('Type', 'Name', 'State', 'MAC', 'IPV4', 'MTU', 'IfIndex', 'Host', '__proto__', 'constructor', 'LLDP', 'Captures'),
    fc.string({ maxLength: 6 }),
  ),
  fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('host', 'device', 'veth', 'UP', 'DOWN')),
  { maxKeys: 6 },
);
const id = fc.oneof(fc.constantFrom('host-fuzz', 'if-1', 'if-2', '', 'agent.fuzz1', 'sw1'), fc.string({ maxLength: 12 }));
const node = fc.record(
  {
    ID: id,
    Metadata: md,
    Host: fc.oneof(fc.constant('fuzz1'), fc.string({ maxLength: 4 })),
    Origin: fc.constantFrom('agent.fuzz1', 'snmp', 'x'),
    CreatedAt: fc.oneof(fc.integer(), fc.string()),
  },
  { requiredKeys: ['ID'] },
);
const edge = fc.record({ ID: id, Parent: id, Child: id, Metadata: md }, { requiredKeys: [] });
const anyJson = fc.jsonValue({ maxDepth: 3 });
const message = fc.oneof(
  fc.record({
    Type: fc.constantFrom('Sync', 'SyncReply'),
    Obj: fc.record(
      { Nodes: fc.oneof(fc.array(node, { maxLength: 6 }), anyJson), Edges: fc.oneof(fc.array(edge, { maxLength: 6 }), anyJson) },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ Type: fc.constantFrom('NodeAdded', 'NodeUpdated', 'NodeDeleted'), Obj: fc.oneof(node, anyJson) }),
  fc.record({ Type: fc.constantFrom('EdgeAdded', 'EdgeUpdated', 'EdgeDeleted'), Obj: fc.oneof(edge, anyJson) }),
  fc.record(
    {
      Type: fc.constantFrom('CaptureFlows', 'CaptureError', 'OvsdbRelayError', 'SyncRequest', 'Error', 'Nope'),
      Obj: anyJson,
      UUID: fc.oneof(fc.uuid(), fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: ['Type'] },
  ),
  fc.record({ Type: anyJson, Namespace: anyJson, Status: anyJson, Obj: anyJson }, { requiredKeys: [] }),
);

class AgentSession implements FuzzSession {
  private t!: TestCollector;
  private ws!: WebSocket;
  private readonly frames: { Type?: string; Status?: number; Obj?: unknown }[] = [];
  private readonly async: Error[] = [];
  private closed = false;
  private sent = 0;
  private readonly onAsync = (e: unknown) => this.async.push(e instanceof Error ? e : new Error(String(e)));

  constructor(private readonly gen: (seed: number, i: number) => Buffer) {}

  async start(): Promise<this> {
    process.on('uncaughtException', this.onAsync);
    process.on('unhandledRejection', this.onAsync);
    this.t = await startTestCollector({ 'agents.tokens': [{ token: TOKEN, host: 'fuzz1' }], 'agents.pingInterval': 3600 });
    await this.dial();
    return this;
  }

  private async dial(): Promise<void> {
    this.ws = new WebSocket(`${this.t.ws}/ws/agent`, { headers: { Authorization: `Bearer ${TOKEN}`, 'X-Client-Type': 'agent' } });
    this.ws.on('message', (d) => {
      try {
        this.frames.push(JSON.parse(String(d)) as (typeof this.frames)[number]);
      } catch {
        this.async.push(new Error(`the collector sent a frame that is not JSON: ${String(d).slice(0, 80)}`));
      }
    });
    this.closed = false;
    this.ws.on('close', () => (this.closed = true));
    await new Promise<void>((res, rej) => (this.ws.once('open', () => res()), this.ws.once('error', rej)));
  }

  input(seed: number, i: number): Buffer {
    return this.gen(seed, i);
  }

  async exec(input: Buffer): Promise<Outcome> {
    // Now and then an empty Sync keeps the agent's sub-graph (and the cost of each write) small.
    if (++this.sent % 500 === 0) this.ws.send(frame('Sync', { Nodes: [], Edges: [] }));
    this.frames.length = 0;
    this.ws.send(input.toString('utf8'));
    // Messages are handled in order on the server: the pong comes after this one was.
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('no pong within 5 s')), 5000);
      this.ws.once('pong', () => (clearTimeout(timer), res()));
      this.ws.ping();
    }).catch(async (e: Error) => {
      if (this.closed) {
        await this.dial();
        throw new Error('the collector closed the agent connection');
      }
      throw e;
    });
    const bad = this.frames.find((f) => f.Type === 'Error' && f.Status !== 400);
    if (bad) throw new Error(`the collector answered ${bad.Status}: ${JSON.stringify(bad.Obj).slice(0, 200)}`);
    return this.frames.some((f) => f.Type === 'Error') ? 'error' : 'ok';
  }

  takeCrashes(): Error[] {
    return this.async.splice(0);
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.t.stop();
    process.off('uncaughtException', this.onAsync);
    process.off('unhandledRejection', this.onAsync);
  }
}

export const fuzz: FuzzTarget[] = [
  {
    name: 'agent.ws.mutated',
    weight: 60,
    quick: 150,
    about:
      "the real agent's messages for the fixture hosts (Sync, NodeAdded/Updated/Deleted, EdgeAdded/Deleted from src/agent/graph on fixtures/agent) and capture / relay frames, mutated as text, over /ws/agent to a real collector",
    open() {
      const seeds = agentSeeds();
      return new AgentSession((seed, i) => {
        const r = inputRng(seed, i);
        return mutateText(pick(r, seeds), r, TOKENS);
      }).start();
    },
  },
  {
    name: 'agent.ws.structured',
    weight: 60,
    quick: 150,
    about:
      'fast-check envelopes of every message type with nodes and edges of any shape (foreign origins, odd IDs, __proto__ keys, any metadata) and envelopes that are not envelopes',
    open: () => new AgentSession((seed, i) => Buffer.from(JSON.stringify(sampleArb(message, seed, i)))).start(),
  },
];
