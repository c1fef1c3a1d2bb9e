// Polls one device: discovery (system group, LLDP local chassis, ENTITY chassis, IF-MIB
// inventory), counters/state, LLDP (+ CDP) neighbours and the FDB. Each task opens its own
// session, so a slow or broken device only ever occupies its own slot.
import { SnmpClient, SnmpError, type WalkResult } from './client.ts';
import type { Target } from './devices.ts';
import { O } from './oids.ts';
import { IF_COUNTER_COLUMNS, IF_INVENTORY_COLUMNS, parseInventory, parseState, type IfInventory, type IfState } from './parse-if.ts';
import { chassisEntity } from './parse-l2.ts';
import { ciscoVlans, isCisco, pollArp, pollFdb, pollLags, pollVlanFdb } from './fdb-task.ts';
import { pollLldp } from './lldp-task.ts';
import { renderChassisId } from './parse-lldp.ts';
import { resolveSwitchId } from './identity.ts';
import { isPort, writePortAdverts, writePorts, writeStates, writeSwitch, type CounterSample, type SwitchInfo } from './graph-writer.ts';
import { Problems, bufOf, intOf, oidOf, strOf } from './values.ts';

export { TASKS, type Task, type DeviceSettings, type PollContext, type DeviceError, type DeviceStatusView } from './device-types.ts';
import type { Task, DeviceSettings, PollContext, DeviceStatusView } from './device-types.ts';

/** How long LLDP-MIB may be missing from a device that served it before its neighbours count as gone (LLDP's usual TTL). */
export const LLDP_ABSENT_GRACE_MS = 120_000;

export class DevicePoller {
  switchId: string | undefined;
  private community: string | undefined;
  private inventory = new Map<number, IfInventory>();
  private basePorts = new Map<number, number>();
  private uptime: number | null = null;
  private readonly prevCounters = new Map<number, CounterSample>();
  private readonly metricStarts = new Map<number, number>();
  private entityIndex: number | null | undefined;
  // Oper status per ifIndex as polling last read it (the graph's State is also written by traps).
  private readonly polledOper = new Map<number, number>();
  private polledAt = 0;
  // When LLDP-MIB last answered (epoch ms): rows are kept while it is briefly absent.
  private lldpServedAt = 0;
  failures = 0;
  /** When the latest poll sent its last datagram (0: it sent none). */
  lastSentAt = 0;
  private sessions: SnmpClient[] = [];
  readonly status: DeviceStatusView;

  constructor(
    readonly target: Target,
    readonly settings: DeviceSettings,
    private readonly ctx: PollContext,
  ) {
    this.community = target.communities[0];
    this.status = {
      id: target.id,
      address: target.address,
      port: target.port,
      version: target.version,
      source: target.source,
      ...(target.config.name ? { name: target.config.name } : {}),
      state: 'pending',
      consecutiveFailures: 0,
      counts: { ports: 0, interfaces: 0, lldp: 0, fdb: 0, cdp: 0, arp: 0, lags: 0 },
      polls: 0,
      varbinds: 0,
      reboots: 0,
      tasks: {},
    };
  }

  private client(community = this.community): SnmpClient {
    const s = this.settings;
    const c = new SnmpClient(this.target, community, {
      timeoutMs: s.timeoutMs,
      retries: s.retries,
      maxRepetitions: s.maxRepetitions,
      ...(this.ctx.mayPoll ? { mayRequest: () => this.ctx.mayPoll?.(this.target.key) ?? true } : {}),
    });
    this.sessions.push(c);
    return c;
  }

  /** Runs tasks in order on fresh sessions; returns false when the device failed. */
  async run(tasks: readonly Task[]): Promise<boolean> {
    const t0 = Date.now();
    const problems = new Problems();
    let problemTask: Task | undefined;
    let ok = true;
    let notLeased = false;
    this.sessions = [];
    // Nothing else can be polled before the device has an identity.
    const list = !this.switchId && !tasks.includes('discover') ? (['discover', ...tasks] as Task[]) : tasks;
    for (const task of list) {
      // The lease ran out mid-poll: no further task (another collector may have the device soon).
      if (this.ctx.mayPoll && !this.ctx.mayPoll(this.target.key)) break;
      const started = Date.now();
      // Discovery walked and wrote the counter columns a moment ago: do not walk them twice.
      if (task === 'counters' && this.status.tasks.discover?.ok && this.status.tasks.discover.lastPoll >= t0) {
        this.status.tasks.counters = { lastPoll: started, durationMs: 0, ok: true };
        continue;
      }
      const client = this.client();
      const before = problems.count;
      try {
        await this.runTask(task, client, problems);
        if (problems.count > before) problemTask ??= task;
        this.status.tasks[task] = { lastPoll: started, durationMs: Date.now() - started, ok: problems.count === before };
        this.ctx.countPoll('ok');
      } catch (e) {
        // The lease ran out mid-task: stop, and leave the device's state as the last whole poll left it.
        if (e instanceof SnmpError && e.code === 'not-leased') {
          notLeased = true;
          break;
        }
        ok = false;
        const err = e instanceof SnmpError ? e : new SnmpError('internal', (e as Error).message);
        this.status.lastError = { code: err.code, message: err.message, task, at: Date.now() };
        this.status.tasks[task] = { lastPoll: started, durationMs: Date.now() - started, ok: false };
        this.ctx.countPoll(err.code === 'timeout' ? 'timeout' : 'error');
        this.ctx.log.debug({ device: this.target.key, task, code: err.code, err: err.message }, 'snmp poll failed');
        // Without an identity nothing else can be written; an unreachable device would only time out again.
        if (task === 'discover' || err.code === 'timeout') break;
      } finally {
        this.status.varbinds += client.varbinds;
        client.close();
      }
    }
    this.lastSentAt = Math.max(0, ...this.sessions.map((c) => c.lastSentAt));
    this.sessions = [];
    if (notLeased) return true;
    const now = Date.now();
    this.status.polls++;
    this.status.lastPoll = now;
    this.status.lastDurationMs = now - t0;
    if (problems.count) {
      this.status.warnings = problems.list;
      // Wrong types and the like are errors of the device even though the poll went on.
      if (ok)
        this.status.lastError = {
          code: problems.list[0]!.split(':')[0]!,
          message: problems.list[0]!,
          task: problemTask ?? list[0]!,
          at: now,
        };
    } else delete this.status.warnings;
    if (ok) {
      this.failures = 0;
      this.status.lastSuccess = now;
    } else this.failures++;
    this.status.consecutiveFailures = this.failures;
    // The device is in error while any table's latest poll failed or had bad values.
    this.status.state = Object.values(this.status.tasks).every((t) => t.ok) ? 'ok' : 'error';
    return ok;
  }

  private async runTask(task: Task, c: SnmpClient, p: Problems): Promise<void> {
    if (task === 'discover') return this.discover(c, p);
    if (task === 'counters') return this.counters(c, p);
    if (task === 'lldp') return this.lldp(c, p);
    return this.fdb(c, p);
  }

  /** GET of the system group; with several v2c communities, the first that answers wins. */
  private async system(c: SnmpClient): Promise<{ vbs: Awaited<ReturnType<SnmpClient['get']>>; client: SnmpClient }> {
    const oids = [O.sysDescr, O.sysObjectID, O.sysUpTime, O.sysName];
    const communities =
      this.target.version === '2c' ? [this.community, ...this.target.communities.filter((x) => x !== this.community)] : [undefined];
    let last: unknown;
    for (let i = 0; i < communities.length; i++) {
      const client = i === 0 ? c : this.client(communities[i]);
      try {
        const vbs = await client.get(oids);
        this.community = communities[i];
        return { vbs, client };
      } catch (e) {
        last = e;
        if (!(e instanceof SnmpError) || e.code !== 'timeout') throw e;
      } finally {
        if (client !== c) {
          c.varbinds += client.varbinds;
          client.close();
        }
      }
    }
    throw last;
  }

  private async discover(c0: SnmpClient, p: Problems): Promise<void> {
    const { vbs } = await this.system(c0);
    const upAt = Date.now();
    const c = this.client();
    try {
      const [descr, objId, up, name] = vbs;
      if (!descr && !objId && !up && !name)
        throw new SnmpError(
          'no-such-object',
          'the system group (1.3.6.1.2.1.1) is absent: noSuchObject for sysDescr, sysObjectID, sysUpTime, sysName',
        );
      const ticks = intOf(up, p);
      this.noteUptime(ticks);
      const sysName = strOf(name, p);
      let chassis: SwitchInfo['chassis'] = null;
      for (const [sub, id] of [
        [O.lldpLocChassisIdSubtype, O.lldpLocChassisId],
        [O.lldpV2LocChassisIdSubtype, O.lldpV2LocChassisId],
      ] as const) {
        const [s, v] = await c.get([sub, id]);
        const subtype = intOf(s, p);
        const rendered = renderChassisId(subtype, bufOf(v, p));
        if (subtype !== null && rendered) {
          chassis = { subtype, id: rendered };
          break;
        }
      }
      const readAt = Date.now();
      const cols = await c.walkColumns([...IF_INVENTORY_COLUMNS, ...IF_COUNTER_COLUMNS]);
      this.requireTable(cols.get(O.ifDescr)!, cols.get(O.ifType)!, 'ifTable');
      this.inventory = parseInventory(cols, p);
      const states = parseState(cols, p);
      this.noteLinks(states, readAt);
      let model: string | null = null,
        serial: string | null = null,
        vendor: string | null = null;
      if (this.entityIndex === undefined) this.entityIndex = chassisEntity(await c.walk(O.entPhysicalClass), p);
      if (this.entityIndex !== null) {
        const i = this.entityIndex;
        const [ser, mfg, mod] = await c.get([
          `${O.entPhysicalSerialNum}.${i}`,
          `${O.entPhysicalMfgName}.${i}`,
          `${O.entPhysicalModelName}.${i}`,
        ]);
        serial = strOf(ser, p) || null;
        vendor = strOf(mfg, p) || null;
        model = strOf(mod, p) || null;
      }
      const info: SwitchInfo = {
        sysName,
        sysDescr: strOf(descr, p),
        sysObjectID: oidOf(objId, p),
        mgmtAddress: this.target.address,
        chassis,
        model,
        serial,
        vendor,
        uptime: ticks === null ? null : { ticks, at: upAt },
      };
      const now = Date.now();
      this.ctx.store.write((tx) => {
        const key = this.target.key;
        const { id, conflicts } = resolveSwitchId(tx, { chassis, sysName, address: key }, (sid) => {
          const owner = this.ctx.claims.get(sid);
          return owner !== undefined && owner !== key;
        });
        if (conflicts.length) this.status.identityConflicts = conflicts;
        else delete this.status.identityConflicts;
        if (this.switchId && this.switchId !== id) this.ctx.claims.delete(this.switchId);
        this.switchId = id;
        this.ctx.claims.set(id, key);
        writeSwitch(tx, id, info);
        this.status.counts.ports = writePorts(tx, id, this.inventory, states);
        writeStates(tx, id, states, this.prevCounters, this.metricStarts, now);
      });
      this.countersRead(states, now);
      this.status.switchId = this.switchId;
      this.status.sysName = sysName;
      this.status.sysObjectID = info.sysObjectID;
      this.status.counts.interfaces = this.inventory.size;
    } finally {
      c0.varbinds += c.varbinds;
      c.close();
    }
  }

  /** Reports ports whose oper status crossed up↔down (lowerLayerDown counts as down) since the previous read. */
  private noteLinks(states: Map<number, IfState>, readAt: number): void {
    const since = this.polledAt;
    const up = (x: number) => x === 1;
    const down = (x: number) => x === 2 || x === 7;
    for (const st of states.values()) {
      const inv = this.inventory.get(st.ifIndex);
      if (st.oper === null || !inv || !isPort(inv)) continue;
      const before = this.polledOper.get(st.ifIndex);
      this.polledOper.set(st.ifIndex, st.oper);
      if (before === undefined || since === 0) continue;
      if ((up(before) && down(st.oper)) || (down(before) && up(st.oper)))
        this.ctx.onLinkChange?.(this.target.key, st.ifIndex, up(st.oper) ? 'UP' : 'DOWN', since, Date.now());
    }
    this.polledAt = readAt;
  }

  /** An empty ifTable because the agent said endOfMibView/noSuchObject right away is the agent's fault. */
  private requireTable(a: WalkResult, b: WalkResult, name: string): void {
    if (a.varbinds.length === 0 && b.varbinds.length === 0 && a.end !== 'subtree')
      throw new SnmpError(
        a.end === 'endOfMibView' ? 'end-of-mib' : 'no-such-object',
        `${name}: the agent answered ${a.end} at the start of the table`,
      );
  }

  private noteUptime(up: number | null): void {
    if (up === null) return;
    if (this.uptime !== null && up < this.uptime) {
      // sysUpTime went backwards: the device rebooted; counter baselines are void.
      this.status.reboots++;
      this.prevCounters.clear();
      this.metricStarts.clear();
    }
    this.uptime = up;
  }

  /** True when the last counters poll saw a reboot (the scheduler then rediscovers). */
  rebooted = false;

  private async counters(c: SnmpClient, p: Problems): Promise<void> {
    const before = this.status.reboots;
    const [up] = await c.get([O.sysUpTime]);
    this.noteUptime(intOf(up, p));
    this.rebooted = this.status.reboots > before;
    const readAt = Date.now();
    const cols = await c.walkColumns(IF_COUNTER_COLUMNS);
    const states = parseState(cols, p);
    this.noteLinks(states, readAt);
    const id = this.switchId!;
    const now = Date.now();
    this.ctx.store.write((tx) => writeStates(tx, id, states, this.prevCounters, this.metricStarts, now));
    this.countersRead(states, now);
  }

  private countersRead(states: Map<number, IfState>, at: number): void {
    const up = this.uptime === null ? undefined : this.uptime * 10;
    if (this.switchId) this.ctx.onCounters?.(this.switchId, states, up, at, this.settings.counterMs);
  }

  private async lldp(c: SnmpClient, p: Problems): Promise<void> {
    const { basePorts, rows, cdp, adverts, served } = await pollLldp(c, p, this.inventory);
    this.basePorts = basePorts;
    const id = this.switchId!;
    const now = Date.now();
    const stale = !served && now - this.lldpServedAt < LLDP_ABSENT_GRACE_MS;
    if (served) this.lldpServedAt = now;
    // The MIB vanished (an AgentX subagent reconnecting after snmpd restarted): the neighbours it
    // last listed stand, as a neighbour's own LLDP entry stands for its TTL.
    if (!stale) {
      // Ports' own LLDP identities first: the stitcher, fed next, matches neighbours against them.
      this.ctx.store.write((tx) => writePortAdverts(tx, id, adverts));
      this.ctx.obs.recordLldp(this.target.key, id, rows, now);
      this.status.counts.lldp = rows.length;
    }
    this.ctx.obs.recordCdp(this.target.key, id, cdp, now);
    this.status.counts.cdp = cdp.length;
    // Links are the stitcher's: it reads these rows through the observation tables' change feed.
  }

  private async fdb(c: SnmpClient, p: Problems): Promise<void> {
    const key = this.target.key;
    const lags = await pollLags(c, p, this.inventory);
    this.ctx.obs.recordLags(key, this.switchId!, lags);
    this.status.counts.lags = lags.length;
    const { basePorts, entries: all } = await pollFdb(c, p);
    this.basePorts = basePorts;
    let entries = all;
    if (this.settings.vlanCommunities && this.target.version === '2c' && isCisco(this.status.sysObjectID)) {
      const vlans = await ciscoVlans(c, p);
      // The plain community shows the default VLAN's table only; the per-VLAN ones cover it.
      if (vlans.length) entries = [...all.filter((e) => e.mib !== 'bridge'), ...(await pollVlanFdb(c, p, vlans, (x) => this.client(x)))];
    }
    this.ctx.obs.recordFdb(key, this.switchId!, entries);
    this.status.counts.fdb = entries.length;
    this.ctx.addresses?.fdbPolled(entries.map((e) => e.mac));
    const arp = await pollArp(c, p);
    const before = this.ctx.obs.arpRows({ device: key });
    this.ctx.obs.recordArp(key, this.switchId!, arp);
    this.status.counts.arp = arp.length;
    this.ctx.addresses?.arpPolled(key, before);
  }

  /** Ethernet-like interfaces from the last discovery (for tests and the trap path). */
  ports(): IfInventory[] {
    return [...this.inventory.values()].filter(isPort);
  }
}
