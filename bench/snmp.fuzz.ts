// `npm run fuzz`: SNMP responses through the poller. The real walks of fixtures/snmp are served by
// the project's simulator agent from a local UDP socket; its replies are then mutated (or the walk's
// values replaced) before they reach the real net-snmp session, SnmpClient and DevicePoller, which
// runs every task (discover, counters, lldp, fdb) into a real SQLite graph. One input is one whole
// poll of one device. The contract: the poll never throws, bad replies end as a typed SnmpError or
// a counted problem, and no error escapes into a socket callback. An `internal` error (something
// other than an SnmpError reached the poller) is a crash too.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceSchema } from '../src/collectors/snmp/config.ts';
import { DevicePoller, TASKS, type DeviceSettings, type PollContext } from '../src/collectors/snmp/device-poller.ts';
import { toTarget } from '../src/collectors/snmp/devices.ts';
import { SnmpObservations } from '../src/collectors/snmp/observations.ts';
import { SimAgent } from '../src/collectors/snmp/sim/agent.ts';
import { SimDevice } from '../src/collectors/snmp/sim/device.ts';
import { loadWalkFile } from '../src/collectors/snmp/sim/load.ts';
import type { WalkRecord } from '../src/collectors/snmp/sim/records.ts';
import { parseSnmprec } from '../src/collectors/snmp/sim/snmprec.ts';
import { openSqliteStorage } from '../src/topology/store/sqlite-storage.ts';
import { silentLogger } from '../src/util/log.ts';
import { prng } from '../src/util/prng.ts';
import { inputRng, mutateBytes, pick, type FuzzSession, type FuzzTarget, type Outcome } from './lib/fuzz-core.ts';

const WALKS = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/snmp');

/** An input: [u8 walk][u8 reply mutation rate /255][u32 mutation seed]. */
export function pollInput(walk: number, rate: number, seed: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = walk & 0xff;
  b[1] = rate & 0xff;
  b.writeUInt32BE(seed >>> 0, 2);
  return b;
}

const SETTINGS: DeviceSettings = {
  counterMs: 60_000,
  lldpMs: 300_000,
  fdbMs: 300_000,
  rediscoverMs: 3_600_000,
  // Loopback answers in well under a millisecond; a dropped or undecodable reply costs this much.
  timeoutMs: 40,
  retries: 0,
  maxRepetitions: 25,
  missedPollsDown: 3,
  maxBackoffMs: 1000,
  vlanCommunities: true,
};

// BER tags a hostile agent may put where the walk had something else.
const TAGS = [0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82, 0x30, 0x01, 0x09];
const VALUES = [
  Buffer.alloc(0),
  Buffer.from([0x80]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]),
  Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  Buffer.from([0x2b, 0x06, 0x01]),
  Buffer.from([0x2b, 0x80]),
  Buffer.from('\u0000\u00ff\u00c3('),
  Buffer.alloc(300, 0x41),
];

/** The walk's records with 1–5 % of values given another type or content (well-formed BER, wrong meaning). */
function hostileRecords(records: readonly WalkRecord[], r: () => number): WalkRecord[] {
  const rate = 0.01 + r() * 0.04;
  return records.map((rec) => {
    if (r() >= rate) return rec;
    const m = Math.floor(r() * 4);
    if (m === 0) return { ...rec, tag: pick(r, TAGS) };
    if (m === 1) return { ...rec, value: pick(r, VALUES) };
    if (m === 2) return { ...rec, tag: pick(r, TAGS), value: pick(r, VALUES) };
    return { ...rec, value: mutateBytes(rec.value, r) };
  });
}

interface Plan {
  agent: SimAgent;
  rng: () => number;
  rate: number;
}

class SnmpPollSession implements FuzzSession {
  private socket!: Socket;
  private port = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'canopy-fuzz-snmp-'));
  private readonly storage = openSqliteStorage({ path: join(this.dir, 'canopy.db') });
  private readonly ctx: PollContext;
  private readonly walks: SimDevice[];
  private readonly records: WalkRecord[][];
  private plan: Plan | undefined;
  private readonly async: Error[] = [];
  readonly counts = { replies: 0, mutated: 0, dropped: 0, polls: 0 };
  private readonly onAsync = (e: unknown) => this.async.push(e instanceof Error ? e : new Error(String(e)));

  constructor(
    private readonly structured: boolean,
    private readonly gen: (seed: number, i: number) => Buffer,
  ) {
    const files = readdirSync(WALKS)
      .filter((f) => f.endsWith('.snmprec'))
      .sort();
    this.walks = files.map((f) => loadWalkFile(join(WALKS, f)));
    this.records = structured ? files.map((f) => parseSnmprec(readFileSync(join(WALKS, f), 'latin1')).records) : [];
    this.ctx = {
      store: this.storage.graph,
      obs: new SnmpObservations(this.storage.snmpObservations, 3),
      log: silentLogger(),
      claims: new Map(),
      countPoll: () => {},
    };
  }

  async start(): Promise<this> {
    this.socket = createSocket('udp4');
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
    this.port = this.socket.address().port;
    this.socket.on('message', (msg, rinfo) => {
      const p = this.plan;
      if (!p) return;
      let out = p.agent.handle(msg);
      if (!out) return;
      this.counts.replies++;
      if (p.rate > 0 && p.rng() < p.rate) {
        this.counts.mutated++;
        out = p.rng() < 0.05 ? Buffer.alloc(0) : mutateBytes(out, p.rng);
        if (out.length === 0) this.counts.dropped++;
      }
      if (out.length) this.socket.send(out, rinfo.port, rinfo.address);
    });
    process.on('uncaughtException', this.onAsync);
    process.on('unhandledRejection', this.onAsync);
    return this;
  }

  input(seed: number, i: number): Buffer {
    return this.gen(seed, i);
  }

  async exec(input: Buffer): Promise<Outcome> {
    if (input.length < 6) return 'error';
    const walk = input[0]! % this.walks.length;
    const r = prng(input.readUInt32BE(2));
    let dev = this.walks[walk]!;
    if (this.structured) dev = new SimDevice(dev.community, hostileRecords(this.records[walk]!, r), 'fuzz');
    this.plan = { agent: new SimAgent([dev]), rng: r, rate: this.structured ? 0 : (input[1]! / 255) * 0.3 };
    const config = deviceSchema.parse({ address: '127.0.0.1', port: this.port, community: dev.community });
    const poller = new DevicePoller(toTarget(config, [], 'config'), SETTINGS, this.ctx);
    this.counts.polls++;
    const ok = await poller.run(TASKS);
    this.plan = undefined;
    const err = poller.status.lastError;
    if (err?.code === 'internal') throw new Error(`poller internal error in ${err.task}: ${err.message}`);
    return ok && !poller.status.warnings ? 'ok' : 'error';
  }

  takeCrashes(): Error[] {
    return this.async.splice(0);
  }

  async close(): Promise<void> {
    process.off('uncaughtException', this.onAsync);
    process.off('unhandledRejection', this.onAsync);
    process.stderr.write(`snmp.poller: ${JSON.stringify(this.counts)}\n`);
    this.socket.close();
    this.storage.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function openSnmpSession(structured: boolean): Promise<SnmpPollSession> {
  const gen = (seed: number, i: number) => {
    const r = inputRng(seed, i);
    return pollInput(Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 2 ** 32));
  };
  return new SnmpPollSession(structured, gen).start();
}

export const fuzz: FuzzTarget[] = [
  {
    name: 'snmp.poller.mutated',
    weight: 2,
    quick: 15,
    capMs: 20_000,
    about:
      'one full poll (discover, counters, lldp, fdb) of a fixtures/snmp walk served by the simulator over loopback UDP, 0–30 % of its BER replies byte-mutated (5 % of those dropped), into net-snmp, SnmpClient and DevicePoller',
    open: () => openSnmpSession(false),
  },
  {
    name: 'snmp.poller.values',
    weight: 1.5,
    quick: 15,
    capMs: 20_000,
    about:
      'one full poll of a fixtures/snmp walk whose values are 1–5 % replaced (another BER type, empty, oversized, invalid OIDs, mutated bytes): well-formed replies with wrong contents',
    open: () => openSnmpSession(true),
  },
];
