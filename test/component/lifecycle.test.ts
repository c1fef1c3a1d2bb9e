// The component wiring: start/stop order from declarations, wiring mistakes named before anything
// starts, and a failed start that stops exactly what had started, in reverse.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { loadConfig } from '../../src/config/load.ts';
import {
  componentNamed,
  give,
  provision,
  type Component,
  type ComponentContext,
  type ComponentSpec,
  type Provided,
  type Provision,
} from '../../src/component/contract.ts';
import { ComponentSet, ComponentStartError, startOrder, WiringError } from '../../src/component/lifecycle.ts';
import { defaultComponents } from '../../src/components.ts';
import { GRAPH_STORE } from '../../src/component/provisions.ts';
import { Collector } from '../../src/collector.ts';
import { createRegistry } from '../../src/util/metrics.ts';

const config = loadConfig({ env: {} });
const ctx = { config } as ComponentContext;

/** A component that records its start and stop in `log`, and throws in start when told to. */
function spec(
  name: string,
  log: string[],
  decl: { needs?: Provision<unknown>[]; uses?: Provision<unknown>[]; provides?: Provision<unknown>[]; fail?: boolean } = {},
): ComponentSpec {
  return {
    name,
    needs: decl.needs,
    uses: decl.uses,
    provides: decl.provides,
    create() {
      const component: Component = {
        name,
        async start() {
          if (decl.fail) throw new Error(`${name} cannot bind`);
          log.push(`start ${name}`);
        },
        async stop() {
          log.push(`stop ${name}`);
        },
        status: () => ({}),
      };
      return { component, provides: (decl.provides ?? []).map((p) => give(p, name)) };
    },
  };
}

const A = provision<string>('a');
const B = provision<string>('b');

describe('component start order', () => {
  it('comes from needs and uses, not from list position', () => {
    const log: string[] = [];
    const order = startOrder(
      [
        spec('consumer', log, { needs: [A], uses: [B] }),
        spec('b', log, { provides: [B] }),
        spec('a', log, { provides: [A] }),
        spec('free', log),
      ],
      ctx,
    );
    expect(order.map((s) => s.name)).toEqual(['a', 'b', 'consumer', 'free']);
  });

  it('of the default components: the stitcher before SNMP, the flow pipeline before its listeners, whatever the list order', () => {
    for (const specs of [defaultComponents(), defaultComponents().reverse()]) {
      const names = startOrder(specs, ctx, [GRAPH_STORE.id]).map((s) => s.name);
      expect(names.indexOf('stitch')).toBeLessThan(names.indexOf('snmp'));
      expect(names.indexOf('flows')).toBeLessThan(names.indexOf('sflow'));
      expect(names.indexOf('flows')).toBeLessThan(names.indexOf('netflow'));
      expect(names.indexOf('flows')).toBeLessThan(names.indexOf('reconcile'));
      // Alerts read who was heard from (exporters, SNMP devices): after both.
      expect(names.indexOf('alerts')).toBeGreaterThan(names.indexOf('snmp'));
      expect(names.indexOf('alerts')).toBeGreaterThan(names.indexOf('flows'));
      expect(names.sort()).toEqual([
        'agents',
        'alerts',
        'flows',
        'k8s-joins',
        'netflow',
        'ovsdb',
        'reconcile',
        'sflow',
        'snmp',
        'stitch',
        'ui',
      ]);
    }
  });

  it('another component by name, and what the collector itself gives (the stores), are needs too', () => {
    const log: string[] = [];
    const order = startOrder(
      [spec('after-b', log, { needs: [componentNamed('b')] }), spec('store-user', log, { needs: [A] }), spec('b', log)],
      ctx,
      [A.id],
    );
    expect(order.map((s) => s.name)).toEqual(['b', 'after-b', 'store-user']);
    const got: unknown[] = [];
    const set = new ComponentSet(
      [
        {
          name: 'reader',
          needs: [A, componentNamed('b')],
          create: (_c, p) => (
            got.push(p.get(A), p.get(componentNamed('b')).name),
            { component: { name: 'reader', start: async () => {}, stop: async () => {}, status: () => ({}) } }
          ),
        },
        spec('b', log),
      ],
      ctx,
      [give(A, 'the store')],
    );
    expect(set.components.map((c) => c.name)).toEqual(['b', 'reader']);
    expect(got).toEqual(['the store', 'b']);
    expect(() => startOrder([spec('x', log, { provides: [A] })], ctx, [A.id])).toThrow('a is provided by both the collector and x');
    expect(() => startOrder([spec('x', log, { needs: [componentNamed('y')] })], ctx)).toThrow(
      'component x needs component:y, which no enabled component provides',
    );
  });

  it('a missing provider, a cycle, or two providers of one thing is a clear error before anything is built', () => {
    const log: string[] = [];
    expect(() => startOrder([spec('consumer', log, { needs: [A] })], ctx)).toThrow(
      new WiringError('component consumer needs a, which no enabled component provides'),
    );
    expect(() => startOrder([spec('x', log, { needs: [A], provides: [B] }), spec('y', log, { needs: [B], provides: [A] })], ctx)).toThrow(
      /cycle: x → y → x/,
    );
    expect(() => startOrder([spec('x', log, { provides: [A] }), spec('y', log, { provides: [A] })], ctx)).toThrow(
      'a is provided by both x and y',
    );
    expect(() => startOrder([spec('x', log), spec('x', log)], ctx)).toThrow('two components are named x');
    // An optional use of something nobody provides is fine.
    expect(startOrder([spec('x', log, { uses: [A] })], ctx).map((s) => s.name)).toEqual(['x']);
  });

  it('a disabled component provides nothing: what needs it fails, what only uses it runs', () => {
    const log: string[] = [];
    const off = { ...spec('a', log, { provides: [A] }), enabled: () => false };
    expect(() => startOrder([off, spec('needs', log, { needs: [A] })], ctx)).toThrow(/needs a, which no enabled component provides/);
    expect(startOrder([off, spec('uses', log, { uses: [A] })], ctx).map((s) => s.name)).toEqual(['uses']);
  });

  it('hands a component what it declared, and refuses what it did not', () => {
    const got: unknown[] = [];
    const reader = (name: string, read: (p: Provided) => unknown, decl: Partial<ComponentSpec>): ComponentSpec => ({
      name,
      ...decl,
      create(_ctx, provided) {
        got.push(read(provided));
        return { component: { name, start: async () => {}, stop: async () => {}, status: () => ({}) } };
      },
    });
    new ComponentSet([spec('a', [], { provides: [A] }), reader('r', (p) => p.get(A), { needs: [A] })], ctx);
    new ComponentSet([reader('r', (p) => p.find(B), { uses: [B] })], ctx);
    expect(got).toEqual(['a', undefined]);
    expect(() => new ComponentSet([spec('a', [], { provides: [A] }), reader('r', (p) => p.get(A), {})], ctx)).toThrow(
      'component r reads a without declaring it in needs',
    );
  });
});

describe('a failed start', () => {
  it('stops the components started before it, in reverse; the later ones never start; the error names it', async () => {
    const log: string[] = [];
    const set = new ComponentSet(
      [
        spec('late', log, { needs: [B] }),
        spec('first', log, { provides: [A] }),
        spec('second', log, { needs: [A], provides: [B] }),
        spec('broken', log, { needs: [B], fail: true }),
      ],
      ctx,
    );
    const err = await set.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentStartError);
    expect((err as ComponentStartError).component).toBe('broken');
    expect((err as Error).message).toBe('component broken failed to start: broken cannot bind');
    expect(log).toEqual(['start first', 'start second', 'start late', 'stop late', 'stop second', 'stop first']);
    // Stopping again (the caller's cleanup) stops nothing twice.
    await set.stop();
    expect(log).toHaveLength(6);
  });

  it('of a real component: the collector stops what started, closes its store and rethrows naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-lifecycle-'));
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', r));
    const port = taken.address().port;
    const lines: { msg: string; component?: string }[] = [];
    const { pino } = await import('pino');
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; component?: string }) });
    try {
      const cfg = loadConfig({
        env: {},
        overrides: {
          'storage.dataDir': dir,
          'api.listen': '127.0.0.1:0',
          'sflow.listen': '127.0.0.1:0',
          'netflow.listen': `127.0.0.1:${port}`,
          'ipfix.enabled': false,
          'snmp.traps.listen': '127.0.0.1:0',
        },
      });
      const collector = new Collector({
        config: cfg,
        log,
        registry: createRegistry(false),
        components: defaultComponents().filter((s) => s.name !== 'ui'),
      });
      const err = await collector.start().catch((e: unknown) => e);
      expect((err as ComponentStartError).component).toBe('netflow');
      const events = lines
        .filter((l) => l.msg === 'component started' || l.msg === 'component stopped')
        .map((l) => `${l.msg.split(' ')[1]} ${l.component}`);
      expect(events).toEqual(['started flows', 'started sflow', 'stopped sflow', 'stopped flows']);
      expect(collector.apiAddresses).toEqual([]);
      // Stopping after the failure (what a caller may do) finds nothing left to stop.
      await collector.stop();
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
