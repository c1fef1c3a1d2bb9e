// contrib/kubernetes: every object validates against the Kubernetes OpenAPI schemas shipped by
// kubernetes-models (offline), carries no field the API would drop (field names from
// @kubernetes/client-node's generated models, as `kubectl apply --validate=strict` would reject them),
// and fits Canopy: RBAC covers each kind the probe watches, the configs load, names resolve.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8sClient from '@kubernetes/client-node';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../src/collectors/k8s/kinds.ts';
import { loadConfig } from '../../src/config/load.ts';

const DIR = resolve(import.meta.dirname, '../../contrib/kubernetes');
type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };
const docs = parseAllDocuments(readFileSync(join(DIR, 'canopy.yaml'), 'utf8')).map((d) => d.toJS() as Obj);

// kind → [kubernetes-models class (schema validation), client-node model name (field names)]
const MODELS: Record<string, [new (o: never) => { validate(): void }, string]> = {
  Namespace: [Namespace, 'V1Namespace'],
  Secret: [Secret, 'V1Secret'],
  ConfigMap: [ConfigMap, 'V1ConfigMap'],
  ServiceAccount: [ServiceAccount, 'V1ServiceAccount'],
  ClusterRole: [ClusterRole, 'V1ClusterRole'],
  ClusterRoleBinding: [ClusterRoleBinding, 'V1ClusterRoleBinding'],
  PersistentVolumeClaim: [PersistentVolumeClaim, 'V1PersistentVolumeClaim'],
  Deployment: [Deployment, 'V1Deployment'],
  Service: [Service, 'V1Service'],
  DaemonSet: [DaemonSet, 'V1DaemonSet'],
};

type AttrMap = { baseName: string; type: string }[];
const models = k8sClient as unknown as Record<string, { getAttributeTypeMap?: () => AttrMap } | undefined>;

/** Paths of fields the model does not define (the API server would drop or reject them). */
function unknownFields(value: unknown, type: string, path = ''): string[] {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, arr[1]!, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map)
    return value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`)) : [];
  const attrs = models[type]?.getAttributeTypeMap?.();
  if (!attrs || !value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const a = attrs.find((x) => x.baseName === k);
    return a ? unknownFields(v, a.type, `${path}.${k}`) : [`${path}.${k}`];
  });
}

const one = (kind: string, name?: string) => {
  const d = docs.find((x) => x.kind === kind && (!name || x.metadata.name === name));
  if (!d) throw new Error(`no ${kind} ${name ?? ''}`);
  return d as Obj & { spec: Record<string, unknown>; data?: Record<string, string>; stringData?: Record<string, string> };
};
type Container = {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name: string }[];
  volumeMounts?: { name: string }[];
};
type PodSpec = {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string; items?: { key: string }[] } }[];
  enableServiceLinks?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  serviceAccountName?: string;
};
const podSpec = (kind: string, name: string) => (one(kind, name).spec.template as { spec: PodSpec }).spec;

describe('contrib/kubernetes/canopy.yaml', () => {
  it('has the objects the install needs, each valid against its OpenAPI schema', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(Object.keys(MODELS).sort());
    for (const d of docs) {
      const [Model] = MODELS[d.kind]!;
      expect(() => new Model(d as never).validate(), `${d.kind}/${d.metadata.name}`).not.toThrow();
    }
  });

  it('has no field the API does not know (a typo would be dropped silently by a lenient apply)', () => {
    for (const d of docs) expect(unknownFields(d, MODELS[d.kind]![1]), `${d.kind}/${d.metadata.name}`).toEqual([]);
    // The check itself: a misspelt field is found.
    const bad = structuredClone(one('Deployment'));
    (bad.spec as { replicaz?: number }).replicaz = 1;
    expect(unknownFields(bad, 'V1Deployment')).toEqual(['.spec.replicaz']);
  });

  it('lets the collector list and watch every kind the Kubernetes probe reads', () => {
    const rules = one('ClusterRole').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    for (const k of KINDS) {
      const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/([^/]+)$/.exec(k.path)!;
      const group = m[1] ?? '';
      const rule = rules.find((r) => r.apiGroups.includes(group) && r.resources.includes(m[2]!));
      expect(rule?.verbs, `${group}/${m[2]}`).toEqual(expect.arrayContaining(['list', 'watch']));
    }
    const binding = one('ClusterRoleBinding') as unknown as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
    expect(binding.roleRef.name).toBe(one('ClusterRole').metadata.name);
    expect(binding.subjects[0]).toMatchObject({ name: podSpec('Deployment', 'canopy-collector').serviceAccountName, namespace: 'canopy' });
  });

  it('configures both pods through files and CANOPY_* variables Canopy accepts', () => {
    const cm = one('ConfigMap').data!;
    const secret = one('Secret').stringData!;
    const env = (c: Container) => {
      const vars: Record<string, string> = {};
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef) {
          expect(e.valueFrom.secretKeyRef.name).toBe('canopy-tokens');
          vars[e.name] = secret[e.valueFrom.secretKeyRef.key]!;
          expect(vars[e.name], `${e.name}: key ${e.valueFrom.secretKeyRef.key}`).toBeDefined();
        } else if (e.value !== undefined) vars[e.name] = e.value.replace(/\$\((\w+)\)/g, (_, n: string) => vars[n] ?? '');
        else vars[e.name] = 'node-1'; // fieldRef: spec.nodeName
      }
      return Object.fromEntries(Object.entries(vars).filter(([k]) => k.startsWith('CANOPY_')));
    };
    for (const [kind, name, key] of [
      ['Deployment', 'canopy-collector', 'collector.yml'],
      ['DaemonSet', 'canopy-agent', 'agent.yml'],
    ] as const) {
      const spec = podSpec(kind, name);
      // Service links would add CANOPY_COLLECTOR_* variables, which the config loader rejects.
      expect(spec.enableServiceLinks).toBe(false);
      const c = spec.containers[0]!;
      expect(c.image).toBe('canopy:0.1.0');
      const cfgVolume = spec.volumes?.find((v) => v.configMap?.name === 'canopy-config');
      expect(cfgVolume?.configMap?.items?.map((i) => i.key)).toEqual([key]);
      for (const m of c.volumeMounts ?? []) expect(spec.volumes?.map((v) => v.name)).toContain(m.name);
      const dir = mkdtemp();
      const file = join(dir, key);
      writeFileSync(file, cm[key]!);
      const cfg = loadConfig({ file, env: env(c) });
      if (kind === 'Deployment') {
        expect(cfg.k8s).toMatchObject({ enabled: true, inCluster: true });
        expect(cfg.agents.tokens.map((t) => t.token)).toEqual([secret['agent-token']]);
        expect(cfg.auth.tokens.map((t) => t.token)).toEqual([secret['prometheus-token']]);
        expect(cfg.api.listen).toEqual('0.0.0.0:8082');
      } else {
        expect(cfg.agent.token).toBe(secret['agent-token']);
        expect(cfg.agent.collector).toBe(`ws://${one('Service').metadata.name}.canopy.svc:8082`);
        expect(cfg.agent.hostname).toBe('node-1');
      }
    }
    const ds = podSpec('DaemonSet', 'canopy-agent');
    expect(ds.hostNetwork && ds.hostPID).toBe(true);
  });

  it('exposes the collector ports by the names the container declares', () => {
    const ports = (podSpec('Deployment', 'canopy-collector').containers[0]!.ports ?? []).map((p) => p.name);
    const svc = one('Service').spec as { ports: { targetPort: string }[]; selector: Record<string, string> };
    for (const p of svc.ports) expect(ports).toContain(p.targetPort);
    expect((one('Deployment').spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels).toMatchObject(
      svc.selector,
    );
  });

  it('kustomization.yaml lists existing resources and the image the manifests use', () => {
    const k = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as {
      kind: string;
      resources: string[];
      images: { name: string }[];
    };
    expect(k.kind).toBe('Kustomization');
    for (const r of k.resources) expect(existsSync(join(DIR, r)), r).toBe(true);
    expect(k.images.map((i) => i.name)).toEqual(['canopy']);
  });
});

const dirs: string[] = [];
function mkdtemp(): string {
  const d = mkdtempSync(join(tmpdir(), 'canopy-k8s-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
