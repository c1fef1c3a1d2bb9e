// SNMP targets: from config (`snmp.devices`) and from /api/devices (persisted in storage), with
// credentials filled in from `snmp.credentials` by subnet.
import { BlockList, isIP } from 'node:net';
import { idFor } from '../../topology/ids.ts';
import type { CredentialConfig, DeviceConfig } from './config.ts';

export interface Target {
  /** Stable device ID (UUID over address and port). */
  id: string;
  /** "address:port" — the key in /api/status. */
  key: string;
  address: string;
  port: number;
  version: '2c' | '3';
  communities: string[];
  user?: string;
  authProtocol?: string;
  authKey?: string;
  privProtocol?: string;
  privKey?: string;
  /** v3 context name (a proxy or a multi-context agent). */
  contextName?: string;
  source: TargetSource;
  config: DeviceConfig;
}

export type TargetSource = 'config' | 'api' | 'discovered';

/**
 * A device after the first at its address:port (an SNMP proxy, one agent serving several
 * communities or v3 contexts) is told apart by its `name`: in its ID and in its key.
 */
export function deviceId(address: string, port: number, name?: string): string {
  return name === undefined ? idFor('snmp-device', address.toLowerCase(), port) : idFor('snmp-device', address.toLowerCase(), port, name);
}

export function targetKey(address: string, port: number, name?: string): string {
  const ep = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  return name === undefined ? ep : `${ep}/${name}`;
}

/** Entries at one endpoint are one device unless this differs (communities, or the v3 context name). */
function viewOf(d: DeviceConfig): string {
  return d.version === '3' ? `v3\u001f${d.contextName ?? ''}` : `v2c\u001f${JSON.stringify(list(d.community))}`;
}

export const endpointOf = (d: { address: string; port: number }) => `${d.address.toLowerCase()}\u001f${d.port}`;

/** Why two entries at one address:port cannot both be polled, or null when they are two devices. */
export function sharingProblem(a: DeviceConfig, b: DeviceConfig): string | null {
  if (!a.name || !b.name) return 'several devices at one address:port each need an explicit `name`';
  if (a.name === b.name) return `both are named "${a.name}"; devices sharing an address:port need distinct names`;
  if (viewOf(a) === viewOf(b)) return 'they do not differ by `community` (v2c) or `contextName` (v3), so they are the same device';
  return null;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function inSubnet(address: string, subnet: string | undefined): boolean {
  if (!subnet) return true;
  const [net, bits] = subnet.split('/');
  const fam = isIP(net ?? '');
  const afam = isIP(address);
  if (!fam || fam !== afam) return false;
  const bl = new BlockList();
  try {
    bl.addSubnet(net!, Number(bits ?? (fam === 4 ? 32 : 128)), fam === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return bl.check(address, fam === 4 ? 'ipv4' : 'ipv6');
}

/** Subnet-scoped credentials are checked in config order; the device's own fields win. */
export function toTarget(
  d: DeviceConfig,
  creds: readonly CredentialConfig[],
  source: TargetSource,
  /** Not the first device at its address:port: its name joins its ID and key. */
  second = false,
): Target {
  const matching = creds.filter((c) => inSubnet(d.address, c.subnet));
  const name = second ? d.name : undefined;
  const base = {
    id: deviceId(d.address, d.port, name),
    key: targetKey(d.address, d.port, name),
    address: d.address,
    port: d.port,
    source,
    config: d,
  };
  if (d.version === '3') {
    const c = matching.find((x) => x.version === '3');
    return {
      ...base,
      version: '3',
      communities: [],
      user: d.user ?? c?.user,
      authProtocol: d.authProtocol ?? c?.authProtocol,
      authKey: d.authKey ?? c?.authKey,
      privProtocol: d.privProtocol ?? c?.privProtocol,
      privKey: d.privKey ?? c?.privKey,
      ...(d.contextName !== undefined ? { contextName: d.contextName } : {}),
    };
  }
  const own = list(d.community);
  if (own.length) return { ...base, version: '2c', communities: own };
  // No community given: the first matching credential decides (it may be a v3 one).
  const first = matching[0];
  if (d.versionDefaulted && first?.version === '3') {
    return {
      ...base,
      version: '3',
      communities: [],
      user: first.user,
      authProtocol: first.authProtocol,
      authKey: first.authKey,
      privProtocol: first.privProtocol,
      privKey: first.privKey,
    };
  }
  const communities = matching.filter((c) => c.version === '2c').flatMap((c) => list(c.community));
  return { ...base, version: '2c', communities: communities.length ? [...new Set(communities)] : ['public'] };
}

/** What /api/devices shows: the configured entry with secrets masked. */
export function publicView(t: Target): Record<string, unknown> {
  const { versionDefaulted: _v, ...cfg } = t.config;
  const masked: Record<string, unknown> = { ...cfg };
  for (const k of ['community', 'authKey', 'privKey'] as const)
    if (k in masked && masked[k] !== undefined) masked[k] = Array.isArray(masked[k]) ? masked[k].map(() => '***') : '***';
  return { ID: t.id, ...masked, Source: t.source };
}
