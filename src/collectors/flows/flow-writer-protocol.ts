// What the main thread and the flow writer thread (flow-writer-worker.ts) say to each other.

export interface WriterThreadData {
  file: string;
  /** Float64Array over it, indexed by STATE: counts the thread keeps and the main thread reads. */
  state: SharedArrayBuffer;
  /** Int32Array over it: [0] the last flush or stop request done. */
  done: SharedArrayBuffer;
  /** Longest write transaction (ms), and the pause after each (the main connection takes the lock then). */
  stepMs: number;
  pauseMs: number;
  pruneBatch: number;
  busyTimeoutMs: number;
  /** Nice value of the writer thread (0: the process's own). */
  nice: number;
}

export const STATE = { written: 0, transactions: 1, lastWrite: 2, dropped: 3 } as const;
export const STATE_SLOTS = 4;

export type WriterMessage =
  | { type: 'rows'; count: number; nums: Float64Array; strs: string[] }
  | { type: 'repoint'; moved: [string, string][] }
  | { type: 'prune'; windowCut: number; rollupCut: number }
  | { type: 'flush'; seq: number }
  | { type: 'stop'; seq: number };

export type WriterReport = { type: 'wrote'; transactions: number } | { type: 'failed'; message: string; rows: number };
