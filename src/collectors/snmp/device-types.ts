// What a device poller is given and what it reports (device-poller.ts): tasks, settings, the
// context shared by the pollers of one SNMP component, errors and the status view.
import type { GraphStore } from '../../topology/store/graph-store.ts';
import type { Logger } from '../../util/log.ts';
import type { SnmpObservations } from './observations.ts';
import type { IfState } from './parse-if.ts';
import type { AddressWriter } from './address-writer.ts';

export type Task = 'discover' | 'counters' | 'lldp' | 'fdb';
export const TASKS: readonly Task[] = ['discover', 'counters', 'lldp', 'fdb'];

export interface DeviceSettings {
  counterMs: number;
  lldpMs: number;
  fdbMs: number;
  rediscoverMs: number;
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
  missedPollsDown: number;
  maxBackoffMs: number;
  /** Cisco per-VLAN FDB with `community@vlan` (snmp.vlanCommunities). */
  vlanCommunities?: boolean;
}

export interface PollContext {
  store: GraphStore;
  obs: SnmpObservations;
  log: Logger;
  /** switch ID → target key of the device that owns it. */
  claims: Map<string, string>;
  countPoll(result: string): void;
  /** Puts ARP/ND addresses on the graph (absent: rows are only recorded). */
  addresses?: AddressWriter;
  /** Polling saw a port's oper status cross up↔down since the poll that read it at `since` (the trap watch). */
  onLinkChange?(device: string, ifIndex: number, state: 'UP' | 'DOWN', since: number, at: number): void;
  /** Absent: always. With device leases (leases.ts): whether this collector may poll the device now. */
  mayPoll?(key: string): boolean;
  /** Each counter read, for the port series (counter-series.ts); uptime in ms from sysUpTime. */
  onCounters?(switchId: string, states: Map<number, IfState>, uptimeMs: number | undefined, at: number, nominalMs: number): void;
}

export interface DeviceError {
  code: string;
  message: string;
  task: Task;
  at: number;
}

export interface DeviceStatusView {
  id: string;
  address: string;
  port: number;
  version: string;
  source: string;
  name?: string;
  state: 'pending' | 'ok' | 'error';
  switchId?: string;
  sysName?: string | null;
  sysObjectID?: string | null;
  lastPoll?: number;
  lastSuccess?: number;
  lastError?: DeviceError;
  warnings?: string[];
  consecutiveFailures: number;
  identityConflicts?: string[];
  counts: { ports: number; interfaces: number; lldp: number; fdb: number; cdp: number; arp: number; lags: number };
  polls: number;
  varbinds: number;
  reboots: number;
  lastDurationMs?: number;
  tasks: Partial<Record<Task, { lastPoll: number; durationMs: number; ok: boolean }>>;
}
