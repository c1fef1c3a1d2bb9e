// Deterministic identities (docs/architecture.md#identity): UUIDv5 over discriminating fields, so every source that
// sees the same thing names it the same way and restarts create no duplicates.
import { createHash } from 'node:crypto';

/** Canopy's UUIDv5 namespace (a fixed random UUID; changing it would re-key every graph). */
export const CANOPY_NAMESPACE = '6f1b6c2e-3a57-4c8e-9a43-2f0d1c9b7e11';

const nsBytes = new Map<string, Buffer>();
function uuidBytes(uuid: string): Buffer {
  // Namespaces are few and fixed: parse each once (this runs for every ID made).
  let b = nsBytes.get(uuid);
  if (!b) nsBytes.set(uuid, (b = Buffer.from(uuid.replace(/-/g, ''), 'hex')));
  return b;
}

export function uuidv5(name: string, namespace: string = CANOPY_NAMESPACE): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** ID from a kind and its discriminating fields, e.g. idFor('port', switchId, 7). */
export function idFor(kind: string, ...parts: (string | number)[]): string {
  return uuidv5([kind, ...parts.map(String)].join('\u001f'));
}

export const ids = {
  switchByChassis: (subtype: number | string, chassisId: string) => idFor('switch', 'chassis', subtype, chassisId.toLowerCase()),
  switchBySysName: (sysName: string) => idFor('switch', 'sysname', sysName.toLowerCase()),
  switchByAddress: (address: string) => idFor('switch', 'addr', address),
  port: (switchId: string, ifIndex: number) => idFor('port', switchId, ifIndex),
  host: (machineIdOrHostname: string) => idFor('host', machineIdOrHostname.toLowerCase()),
  hostInterface: (hostId: string, name: string, netns = '') => idFor('interface', hostId, netns, name),
  exporter: (address: string, subId: number | string = 0) => idFor('exporter', address, subId),
  ovs: (host: string, uuid: string) => idFor('ovs', host, uuid),
  k8s: (uid: string) => idFor('k8s', uid),
  edge: (parent: string, child: string, relationType: string) => idFor('edge', parent, child, relationType),
};
