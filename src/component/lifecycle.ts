// Builds, starts and stops components in the order their declarations give (docs/architecture.md,
// "Components"): providers before the components that need them, the reverse on stop. A start
// that throws stops exactly the components already started, in reverse.
import {
  componentNamed,
  type Built,
  type Component,
  type ComponentContext,
  type ComponentSpec,
  type Given,
  type Provided,
  type Provision,
} from './contract.ts';

/** A wiring mistake found before anything starts: a missing provider, a cycle, a duplicate. */
export class WiringError extends Error {}

/** A component's start threw; what had started was stopped again. */
export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    cause: unknown,
  ) {
    super(`component ${component} failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * The enabled specs in start order (a stable topological sort: among independent components the
 * list order stays). `root`: ids of the provisions the collector itself gives (the stores). Throws
 * WiringError for a missing provider of a need, two providers of one provision, two components of
 * one name, or a cycle (named in the message).
 */
export function startOrder(
  specs: readonly ComponentSpec[],
  ctx: Pick<ComponentContext, 'config'>,
  root: readonly string[] = [],
): ComponentSpec[] {
  const on = specs.filter((s) => s.enabled?.(ctx.config) ?? true);
  const providerOf = new Map<string, ComponentSpec>();
  for (const s of on) {
    for (const p of [componentNamed(s.name), ...(s.provides ?? [])]) {
      const other = providerOf.get(p.id);
      if (other)
        throw new WiringError(
          other.name === s.name ? `two components are named ${s.name}` : `${p.id} is provided by both ${other.name} and ${s.name}`,
        );
      if (root.includes(p.id)) throw new WiringError(`${p.id} is provided by both the collector and ${s.name}`);
      providerOf.set(p.id, s);
    }
  }
  const after = new Map<ComponentSpec, ComponentSpec[]>();
  for (const s of on) {
    const deps: ComponentSpec[] = [];
    for (const p of s.needs ?? []) {
      if (root.includes(p.id)) continue;
      const by = providerOf.get(p.id);
      if (!by) throw new WiringError(`component ${s.name} needs ${p.id}, which no enabled component provides`);
      deps.push(by);
    }
    for (const p of s.uses ?? []) {
      const by = providerOf.get(p.id);
      if (by) deps.push(by);
    }
    after.set(
      s,
      deps.filter((d) => d !== s),
    );
  }
  const order: ComponentSpec[] = [];
  const state = new Map<ComponentSpec, 'visiting' | 'done'>();
  const visit = (s: ComponentSpec, path: string[]) => {
    const st = state.get(s);
    if (st === 'done') return;
    if (st === 'visiting')
      throw new WiringError(`components depend on each other in a cycle: ${[...path.slice(path.indexOf(s.name)), s.name].join(' → ')}`);
    state.set(s, 'visiting');
    for (const d of after.get(s) ?? []) visit(d, [...path, s.name]);
    state.set(s, 'done');
    order.push(s);
  };
  for (const s of on) visit(s, []);
  return order;
}

/** Runs the built components of a set of specs. */
export class ComponentSet {
  private built: Component[] = [];
  private started: Component[] = [];
  private readonly values = new Map<string, unknown>();

  /**
   * Builds every enabled component in dependency order; throws WiringError before building
   * anything. `root`: what the collector itself provides (the stores).
   */
  constructor(specs: readonly ComponentSpec[], ctx: ComponentContext, root: readonly Given[] = []) {
    for (const g of root) this.values.set(g.provision.id, g.value);
    const order = startOrder(
      specs,
      ctx,
      root.map((g) => g.provision.id),
    );
    for (const s of order) {
      const declared = (list: readonly Provision<unknown>[] | undefined, p: Provision<unknown>) =>
        list?.some((d) => d.id === p.id) ?? false;
      const provided: Provided = {
        get: <T>(p: Provision<T>): T => {
          if (!declared(s.needs, p) || !this.values.has(p.id))
            throw new WiringError(`component ${s.name} reads ${p.id} without declaring it in needs`);
          return this.values.get(p.id) as T;
        },
        find: <T>(p: Provision<T>): T | undefined => {
          if (!declared(s.uses, p) && !declared(s.needs, p))
            throw new WiringError(`component ${s.name} reads ${p.id} without declaring it in uses`);
          return this.values.get(p.id) as T | undefined;
        },
      };
      const b: Built = s.create(ctx, provided);
      for (const p of s.provides ?? []) {
        const g = b.provides?.find((x: Given) => x.provision.id === p.id);
        if (!g) throw new WiringError(`component ${s.name} declares ${p.id} but did not provide it`);
        this.values.set(p.id, g.value);
      }
      this.values.set(componentNamed(s.name).id, b.component);
      this.built.push(b.component);
    }
  }

  /** The components in start order. */
  get components(): readonly Component[] {
    return this.built;
  }

  /** The value of a provision, when an enabled component provides it. */
  find<T>(p: Provision<T>): T | undefined {
    return this.values.get(p.id) as T | undefined;
  }

  /**
   * Starts every component in order. When one throws, the ones started before it are stopped in
   * reverse, the later ones never start, and a ComponentStartError naming the component is thrown.
   */
  async start(hooks: LifecycleHooks = {}): Promise<void> {
    for (const c of this.built) {
      try {
        await c.start();
      } catch (e) {
        await this.stop(hooks);
        throw new ComponentStartError(c.name, e);
      }
      this.started.push(c);
      hooks.started?.(c);
    }
  }

  /** Stops the started components in reverse start order (a failing stop does not skip the rest); safe to call twice. */
  async stop(hooks: LifecycleHooks = {}): Promise<void> {
    for (const c of this.started.splice(0).reverse()) {
      try {
        await c.stop();
        hooks.stopped?.(c);
      } catch (e) {
        hooks.stopFailed?.(c, e);
      }
    }
  }
}

/** Told as components start and stop (the collector logs each). */
export interface LifecycleHooks {
  started?(c: Component): void;
  stopped?(c: Component): void;
  stopFailed?(c: Component, e: unknown): void;
}
