// Kubernetes on the wall without a browser: the k8s node under its (expanded) host, its pods folded
// behind a `+N` group and then each pod, NotReady pods red, nothing of the cluster's logical side
// drawn, and search reveal opening every fold on the way.
import { describe, expect, it } from 'vitest';
import { GraphModel } from '../../src/ui/web/model/graph-model.ts';
import { ViewModel } from '../../src/ui/web/model/view-model.ts';
import { podGroupKey } from '../../src/ui/web/model/k8s-view.ts';
import { St, type GEdge, type GNode } from '../../src/ui/web/model/types.ts';
import { describeNode } from '../../src/ui/web/ui/describe.ts';

const n = (ID: string, Metadata: Record<string, unknown>): GNode => ({ ID, Metadata });
const e = (Parent: string, Child: string, RelationType: string): GEdge => ({
  ID: `${Parent}>${Child}>${RelationType}`,
  Parent,
  Child,
  Metadata: { RelationType },
});

function graph() {
  const nodes = [
    n('leaf', { Type: 'switch', Name: 'leaf1', Role: 'leaf' }),
    n('leaf.3', { Type: 'port', Name: 'eth3', State: 'UP' }),
    n('h1', { Type: 'host', Name: 'worker-1' }),
    n('h1.eth0', { Type: 'device', Name: 'eth0', State: 'UP' }),
    n('dock', { Type: 'container', Name: 'sidecar', Manager: 'docker' }),
    n('cl', { Type: 'cluster', Name: 'prod', Manager: 'k8s' }),
    n('ns', { Type: 'namespace', Name: 'shop', Manager: 'k8s' }),
    n('svc', { Type: 'service', Name: 'web', Manager: 'k8s' }),
    n('kn', { Type: 'node', Name: 'worker-1', Manager: 'k8s', State: 'UP' }),
    n('p1', { Type: 'pod', Name: 'web-a', Manager: 'k8s', State: 'UP' }),
    n('p2', { Type: 'pod', Name: 'web-b', Manager: 'k8s', State: 'UP' }),
    n('p2.c', { Type: 'container', Name: 'web', Manager: 'k8s', State: 'UP' }),
  ];
  const edges = [
    e('leaf', 'leaf.3', 'ownership'),
    e('h1', 'h1.eth0', 'ownership'),
    e('h1', 'dock', 'ownership'),
    e('h1.eth0', 'leaf.3', 'layer2'),
    e('cl', 'ns', 'ownership'),
    e('cl', 'kn', 'ownership'),
    e('ns', 'svc', 'ownership'),
    e('ns', 'p1', 'ownership'),
    e('ns', 'p2', 'ownership'),
    e('p2', 'p2.c', 'ownership'),
    e('svc', 'p1', 'service'),
    e('h1', 'kn', 'host'),
    e('kn', 'p1', 'node'),
    e('kn', 'p2', 'node'),
  ];
  const g = new GraphModel();
  g.reset(nodes, edges);
  const vm = new ViewModel(g);
  vm.rebuild();
  return { g, vm };
}

const kind = (vm: ViewModel, id: string) => vm.nodes[vm.index.get(id) ?? -1]?.kind;
const state = (vm: ViewModel, id: string) => vm.nodes[vm.index.get(id) ?? -1]?.state;

describe('Kubernetes on the wall', () => {
  it('draws none of the cluster while hosts are folded: no cluster in the unattached corner', () => {
    const { vm } = graph();
    expect(vm.nodes.map((v) => v.id).sort()).toEqual(['group:leaf', 'leaf']);
    expect(vm.displayOf('p1')).toBe('group:leaf');
    expect(vm.tiers.map((t) => t.text)).not.toContain('UNATTACHED');
  });

  it('shows the k8s node beside the containers of an expanded host, its pods folded behind +N', () => {
    const { vm } = graph();
    vm.expandedTors.add('leaf');
    vm.expandedHosts.add('h1');
    vm.rebuild();
    expect(kind(vm, 'kn')).toBe('host');
    expect(vm.nodes[vm.index.get('kn')!]!.label).toBe('worker-1 (k8s)');
    expect(kind(vm, 'dock')).toBe('container');
    const grp = vm.nodes[vm.index.get(podGroupKey('kn'))!]!;
    expect(grp).toMatchObject({ kind: 'group', label: '+2', members: ['p1', 'p2'] });
    expect(grp.y).toBeGreaterThan(vm.nodes[vm.index.get('kn')!]!.y);
    expect(vm.displayOf('p2.c')).toBe(podGroupKey('kn'));
    expect(vm.links.some((l) => l.own && l.id === `own:${podGroupKey('kn')}`)).toBe(true);
    expect(state(vm, podGroupKey('kn'))).toBe(St.Up);
  });

  it('a NotReady pod turns the folded group amber and is red once the group is opened', () => {
    const { g, vm } = graph();
    vm.expandedTors.add('leaf');
    vm.expandedHosts.add('h1');
    vm.rebuild();
    const out = { structural: false, touched: new Set<string>() };
    g.apply('NodeUpdated', n('p2', { Type: 'pod', Name: 'web-b', Manager: 'k8s', State: 'DOWN' }), out);
    expect(out.structural).toBe(false);
    vm.refresh(out.touched);
    expect(state(vm, podGroupKey('kn'))).toBe(St.Degraded);
    vm.expandedTors.add(podGroupKey('kn'));
    vm.rebuild();
    expect(kind(vm, 'p2')).toBe('container');
    expect(state(vm, 'p2')).toBe(St.Down);
    expect(state(vm, 'p1')).toBe(St.Up);
    expect(vm.displayOf('p2.c')).toBe('p2');
  });

  it('reveal (search) opens the TOR group, the host and the pod group', () => {
    const { vm } = graph();
    expect(vm.reveal('p2.c')).toBe(true);
    vm.rebuild();
    expect(vm.displayOf('p2.c')).toBe('p2');
    expect(vm.reveal('p2')).toBe(false);
  });

  it("a pod's panel says where it runs", () => {
    const g = new GraphModel();
    g.reset(
      [
        n('p', {
          Type: 'pod',
          Name: 'web-a',
          Manager: 'k8s',
          State: 'DOWN',
          K8s: { Cluster: 'prod', Namespace: 'shop', Node: 'worker-1', IP: '10.244.1.10', Phase: 'Running' },
        }),
      ],
      [],
    );
    expect(describeNode(g, 'p')).toEqual([
      ['Type', 'pod'],
      ['Name', 'web-a'],
      ['State', 'DOWN'],
      ['Cluster', 'prod'],
      ['Namespace', 'shop'],
      ['Node', 'worker-1'],
      ['Pod IP', '10.244.1.10'],
      ['Phase', 'Running'],
    ]);
  });
});
