// The shared body of sets-canopy.test.ts and sets-snmpsimd.test.ts (two files so they run in parallel).
// Multi-device sets built from the real walks (fixtures/README.md, "Multi-device SNMP sets"),
// served one device per loopback address and polled by the collector with its stitcher: the
// stitched links must equal the set's adjacency list exactly — none missing, none duplicated, no
// placeholder where the real port is polled — whichever order devices are listed and answer in.
import { describe, expect, it } from 'vitest';
import { intendedLinks } from './build-set.ts';
import { loadSet, runCollector, serveSet, type SetRun } from './run-set.ts';

const SETS = ['cisco-ios-pair', 'cisco-campus', 'dc-mixed'] as const;

async function settle(run: SetRun, want: number): Promise<void> {
  // Every device polled LLDP at least 3 times (1 s interval), and the links stopped changing.
  const until = Date.now() + 45_000;
  let last = '';
  let stable = 0;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    const polls = run.lldpPolls();
    const now = JSON.stringify([run.links(), run.strays()]);
    stable = now === last ? stable + 1 : 0;
    last = now;
    if (polls.length === want && polls.every((p) => p >= 4) && stable >= 3) return;
  }
}

export function describeSets(via: 'canopy' | 'snmpsimd'): void {
  describe(`multi-device sets through ${via === 'canopy' ? "Canopy's simulator" : "Debian's snmpsimd"}`, () => {
    SETS.forEach((name, si) => {
      for (const order of ['forward', 'reverse'] as const) {
        it(`${name} (${order} device order): links = adjacency list, no duplicates, no placeholders`, async () => {
          const set = loadSet(name);
          const server = await serveSet(set, `127.42.${si * 4 + (via === 'canopy' ? 0 : 2) + (order === 'forward' ? 0 : 1)}`, via);
          try {
            const run = await runCollector(server.built, order);
            try {
              await settle(run, set.devices.length);
              expect(run.links()).toEqual(intendedLinks(set));
              expect(run.strays()).toEqual([]);
              // One link per cable: what both ends speak (LLDP, CDP or both) is all on that one edge.
              const speaks = new Map(set.devices.map((d) => [d.name, d.protocols] as const));
              for (const [a, ap, b, bp] of set.links) {
                const both = (['cdp', 'lldp'] as const).filter((p) => speaks.get(a)!.includes(p) && speaks.get(b)!.includes(p));
                const want = both.map((p) => (p === 'lldp' ? 'lldp-snmp' : 'cdp')).sort();
                expect(run.evidence().get(intendedLinks({ ...set, links: [[a, ap, b, bp]] })[0]!), `${a}:${ap}`).toEqual(want);
              }
              expect(run.placeholders().map((n) => `${n.Metadata.Type} ${n.Metadata.Name}`)).toEqual([]);
            } finally {
              await run.stop();
            }
          } finally {
            await server.close();
          }
        }, 90_000);
      }
    });
  });
}
