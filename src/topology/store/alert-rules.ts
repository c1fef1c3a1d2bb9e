// Alert rules created through Skydive's /api/alert (docs/alerts.md#api): the request body by UUID,
// so that they survive a collector restart. Rules from the config file are not stored.

export interface AlertRuleStore {
  /** Oldest first. */
  all(): { id: string; body: unknown }[];
  put(id: string, body: unknown, now?: number): void;
  delete(id: string): boolean;
}
