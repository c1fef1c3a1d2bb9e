// The synthetic cluster of fixtures/k8s/cluster.json, each object validated against the Kubernetes
// OpenAPI schemas that kubernetes-models ships (generated from the upstream OpenAPI spec; its
// validate() throws on an object the schema rejects).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as storage from 'kubernetes-models/storage.k8s.io/v1';
import * as discovery from 'kubernetes-models/discovery.k8s.io/v1';
import type { Obj } from './api-server.ts';

type Model = new (o: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': core.Namespace,
  'v1/Node': core.Node,
  'v1/Pod': core.Pod,
  'v1/Service': core.Service,
  'v1/Endpoints': core.Endpoints,
  'v1/ConfigMap': core.ConfigMap,
  'v1/Secret': core.Secret,
  'v1/PersistentVolume': core.PersistentVolume,
  'v1/PersistentVolumeClaim': core.PersistentVolumeClaim,
  'v1/ReplicationController': core.ReplicationController,
  'apps/v1/Deployment': apps.Deployment,
  'apps/v1/ReplicaSet': apps.ReplicaSet,
  'apps/v1/StatefulSet': apps.StatefulSet,
  'apps/v1/DaemonSet': apps.DaemonSet,
  'batch/v1/Job': batch.Job,
  'batch/v1/CronJob': batch.CronJob,
  'networking.k8s.io/v1/Ingress': networking.Ingress,
  'networking.k8s.io/v1/NetworkPolicy': networking.NetworkPolicy,
  'storage.k8s.io/v1/StorageClass': storage.StorageClass,
  'discovery.k8s.io/v1/EndpointSlice': discovery.EndpointSlice,
};

/** Throws when the object is not valid for its kind's OpenAPI schema (or the kind is unknown). */
export function validate(o: Obj): Obj {
  const M = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!M) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new M(structuredClone(o) as never).validate();
  return o;
}

export const FIXTURE = resolve(import.meta.dirname, '../../../fixtures/k8s/cluster.json');

export function fixtureObjects(): Obj[] {
  return (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { items: Obj[] }).items;
}

export function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`fixture has no ${kind} ${name}`);
  return structuredClone(o);
}

/** A fresh UID for objects a test creates (deterministic per name). */
export function uidFor(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
