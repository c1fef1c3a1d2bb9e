// The component contract (docs/architecture.md, "Components"): what every part of the collector
// that starts and stops looks like, and how it declares what it needs and what it provides. The
// wiring (./lifecycle.ts) orders start and stop from these declarations, never from list position.
import type { Registry } from 'prom-client';
import type { CanopyConfig } from '../config/schema.ts';
import type { Storage } from '../topology/store/storage.ts';
import type { GraphStore } from '../topology/store/graph-store.ts';
import type { Logger } from '../util/log.ts';

/** A running part of the collector: a listener, a poller, the stitcher, the flow pipeline … */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Shown under components.<name> in /api/status (bound ports, counts, errors …). */
  status(): Record<string, unknown>;
}

/** What every component is built from: the process-wide config, store, metrics registry and logger. */
export interface ComponentContext {
  config: CanopyConfig;
  store: GraphStore;
  /** Every persistent table; `store` is its graph. */
  storage: Storage;
  registry: Registry;
  log: Logger;
}

/**
 * Something one component provides and others need, by a unique id and the type it carries.
 * `T` is carried only in the type: `provision<FlowPipeline>('flow-pipeline')`.
 */
export interface Provision<T> {
  readonly id: string;
  /** Never set: carries T, so Provision<A> and Provision<B> are distinct types. */
  readonly type?: T;
}

export function provision<T>(id: string): Provision<T> {
  return { id };
}

/**
 * Another component, by name: every enabled component provides itself under this provision, so a
 * spec that must start after a component (and stop before it) can say so without a typed provision.
 */
export function componentNamed(name: string): Provision<Component> {
  return provision<Component>(`component:${name}`);
}

/** A provided value, tagged with its provision (see `give`). */
export interface Given<T = unknown> {
  readonly provision: Provision<T>;
  readonly value: T;
}

export function give<T>(p: Provision<T>, value: T): Given<T> {
  return { provision: p, value };
}

/** The provisions a component may read while it is built (declared ones only). */
export interface Provided {
  /** A provision the component declared in `needs` (always there). */
  get<T>(p: Provision<T>): T;
  /** A provision the component declared in `uses`: undefined when no running component provides it. */
  find<T>(p: Provision<T>): T | undefined;
}

/** What `create` returns: the component, and the values of the provisions it declared. */
export interface Built {
  component: Component;
  provides?: Given[];
}

/**
 * A component as the wiring sees it before it exists. A component is built and started after
 * every component that provides what it `needs` or `uses`, and stopped before them.
 */
export interface ComponentSpec {
  readonly name: string;
  /**
   * Provisions that must be there: from another component, or given by the collector itself (the
   * stores). A missing provider stops the start-up with an error naming both.
   */
  readonly needs?: readonly Provision<unknown>[];
  /** Provisions used when some enabled component provides them (SNMP feeds the stitcher when there is one). */
  readonly uses?: readonly Provision<unknown>[];
  /** Provisions this component gives when it is enabled. */
  readonly provides?: readonly Provision<unknown>[];
  /** False: the component is off in this config and provides nothing (default: on). */
  enabled?(config: CanopyConfig): boolean;
  create(ctx: ComponentContext, provided: Provided): Built;
}
