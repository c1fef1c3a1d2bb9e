// Messages between the PostgreSQL link (main thread) and its worker, which owns the `pg` pool.
// The worker is a SQL pipe: every statement is built on the main thread; the worker runs them in
// arrival order, so a synchronous read sent after queued writes sees them.

import type { MessagePort } from 'node:worker_threads';

export interface Stmt {
  sql: string;
  params?: unknown[];
}

export interface StmtResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

export interface WorkerConfig {
  url: string;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  poolSize: number;
  /** Int32 counter bumped (and notified) after each synchronous reply. */
  signal: SharedArrayBuffer;
  /** Where synchronous replies go (read by receiveMessageOnPort while the main thread waits). */
  replies: MessagePort;
  /** LISTEN channel of the graph change feed. */
  channel: string;
}

/** Main → worker. */
export type Request =
  /** Sent behind: run in one transaction (with the others queued beside it), acknowledged by `done`. */
  | { op: 'tx'; id: number; stmts: Stmt[]; lock: boolean }
  /** Answered on the reply port; `tx` wraps the statements in a transaction. */
  | { op: 'sync'; id: number; stmts: Stmt[]; tx: boolean; deadline: number }
  /** Start following the change log after this sequence number (from the load). */
  | { op: 'follow'; since: number }
  | { op: 'close' };

export interface SyncReply {
  id: number;
  ok: boolean;
  results?: StmtResult[];
  error?: string;
}

export interface ChangeRow {
  seq: number;
  instance: string;
  events: unknown;
  aliases: unknown;
}

/** Worker → main (asynchronous). */
export type Notice =
  | { op: 'done'; upTo: number }
  | { op: 'failed'; id: number; error: string }
  | { op: 'retry'; error: string; delayMs: number }
  | { op: 'changes'; rows: ChangeRow[] }
  | { op: 'feed'; state: 'up' | 'down'; error?: string }
  | { op: 'closed' };

/** Errors worth retrying forever: the server or the connection, not the statement. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return true; // socket errors, timeouts, "Connection terminated"
  // 08 connection exception, 57P0x shutdown/crash, 53 insufficient resources, 40001/40P01 retryable conflicts.
  return /^(08|57P0|53|40001|40P01|E[A-Z])/.test(code);
}
