// The graph JSON the collector sends (docs/architecture.md#the-graph), as far as the display reads it.
export type Metadata = Record<string, unknown>;

export interface GNode {
  ID: string;
  Metadata: Metadata;
  Host?: string;
  Origin?: string;
  Revision?: number;
}

export interface GEdge extends GNode {
  Parent: string;
  Child: string;
}

/** Display state, ordered by severity so `Math.max` picks the worst. */
export const enum St {
  Unknown = 0,
  Up = 1,
  Degraded = 2,
  Down = 3,
}
