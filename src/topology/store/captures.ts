// Captures created through /api/capture (docs/architecture.md#ovsdb): the request as given and what
// was configured for it (sFlow rows, mirrors and ports per OVSDB endpoint), so that deleting a
// capture removes exactly that, also after a collector restart.

export interface CaptureStore {
  /** Oldest first. */
  all(): { id: string; body: unknown }[];
  put(id: string, body: unknown, now?: number): void;
  delete(id: string): boolean;
}
