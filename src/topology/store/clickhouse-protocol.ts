// Messages between the ClickHouse link (main thread) and its worker (clickhouse-worker.ts).
import type { MessagePort } from 'node:worker_threads';

export interface ChWorkerConfig {
  url: string;
  requestTimeoutMs: number;
  /** Rows merged into one INSERT at most. */
  maxInsertRows: number;
  signal: SharedArrayBuffer;
  replies: MessagePort;
}

export type ChRequest =
  /** JSONEachRow lines for the raw table, sent behind. */
  | { op: 'insert'; id: number; rows: number; body: string }
  /** Statements sent behind in order (mutations: waited for before the next request). */
  | { op: 'exec'; id: number; sql: string[] }
  /** Statements whose answers the main thread waits for. */
  | { op: 'sync'; id: number; sql: string[] }
  | { op: 'close' };

export interface ChReply {
  id: number;
  ok: boolean;
  results?: string[];
  error?: string;
}

export type ChNotice =
  | { op: 'done'; upTo: number; rows: number }
  | { op: 'failed'; rows: number; error: string }
  | { op: 'retry'; error: string }
  | { op: 'state'; up: boolean; error?: string }
  | { op: 'closed' };
