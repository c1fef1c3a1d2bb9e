// The storage conformance suite: written once against the Storage interfaces, run against every
// backend by a factory. A backend passes when describeConformance(name, factory) is green.
import { afterEach, beforeEach, describe } from 'vitest';
import type { Storage } from '../../../src/topology/store/storage.ts';
import { graphConformance } from './conformance-graph.ts';
import { flowConformance } from './conformance-flows.ts';
import { tableConformance } from './conformance-tables.ts';
import { arpConformance } from './conformance-arp.ts';
import { seriesConformance } from './conformance-series.ts';

/** One backend instance: a fresh, empty storage that can be reopened (a restart) and destroyed. */
export interface BackendInstance {
  open(): Storage;
  destroy(): void;
}

/** Makes a new empty backend whose graph clock reads `now()`. */
export type BackendFactory = (now: () => number) => BackendInstance;

export interface Harness {
  storage: Storage;
  clock: { now: number };
  /** Closes the storage and opens the same one again; `storage` is then the new one. */
  reopen(): Storage;
}

export function describeConformance(name: string, factory: BackendFactory): void {
  describe(`storage conformance: ${name}`, () => {
    let h: Harness | undefined;
    let instance: BackendInstance | undefined;
    beforeEach(() => {
      const clock = { now: 1_000_000 };
      const inst = (instance = factory(() => clock.now));
      const harness: Harness = {
        storage: inst.open(),
        clock,
        reopen() {
          harness.storage.close();
          harness.storage = inst.open();
          return harness.storage;
        },
      };
      h = harness;
    });
    afterEach(() => {
      h?.storage.close();
      instance?.destroy();
      h = instance = undefined;
    });
    const get = (): Harness => h!;
    describe('graph', () => graphConformance(get));
    describe('flows', () => flowConformance(get));
    describe('side tables', () => tableConformance(get));
    describe('ARP/ND rows', () => arpConformance(get));
    describe('port series', () => seriesConformance(get));
  });
}
