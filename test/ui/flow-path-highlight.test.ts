// The wall's flow-path highlight without a browser: a FlowPath() / /api/flows/path answer → the
// graph IDs idsIn() finds in it → the view model dims everything but the switches on the path.
import { describe, expect, it } from 'vitest';
import { GraphModel } from '../../src/ui/web/model/graph-model.ts';
import { ViewModel } from '../../src/ui/web/model/view-model.ts';
import type { GEdge } from '../../src/ui/web/model/types.ts';
import { generateFabric } from '../../src/ui/web/fabric.ts';
import { idsIn } from '../../src/ui/web/net/ids.ts';

describe('flow path highlight on the wall', () => {
  it('lights leaf-001 → spine-02 → leaf-002 of a FlowPath() answer and dims the other spine and leaf', () => {
    const fab = generateFabric({ spines: 2, leaves: 3, hosts: 6, dualHomed: 0, containersPerHost: 0, omitRoles: true });
    const g = new GraphModel();
    g.reset(fab.nodes, fab.edges as GEdge[]);
    const vm = new ViewModel(g);
    vm.rebuild();
    const [s1, s2] = fab.spineIds as [string, string];
    const [l1, l2, l3] = fab.leafIds as [string, string, string];
    const portOf = (sw: string) => fab.nodes.find((n) => n.ID.startsWith(`${sw}.p`))!.ID;
    // The shape FlowPath() and /api/flows/path give: hops with device and port IDs.
    const answer = [
      {
        hops: [
          { deviceId: l1, inPortId: portOf(l1), outPortId: portOf(l1) },
          { deviceId: s2, inPortId: portOf(s2), outPortId: portOf(s2) },
          { deviceId: l2, inPortId: portOf(l2), outPortId: null },
        ],
        links: [],
        byteShare: 1,
      },
    ];
    const ids = idsIn(answer);
    expect(ids).toContain(s2);
    expect(vm.setHighlight(ids)).toBe(3);
    const dim = (id: string) => vm.nodes[vm.index.get(id)!]!.dim;
    expect([l1, s2, l2].map(dim)).toEqual([false, false, false]);
    expect([s1, l3].map(dim)).toEqual([true, true]);
  });
});
