// What the agent says about its host (docs/architecture.md#agent): host name, machine-id, OS and
// kernel. The host node's ID comes from the machine-id (DESIGN §4), else from the host name — the
// same ID the stitcher gives an LLDP-only placeholder for that name, so they converge.
import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';

export interface HostFacts {
  /** Short host name: the node's Name (what LLDP sysName and FDB placeholders use). */
  name: string;
  hostname: string;
  machineId?: string;
  os?: string;
  kernel: string;
}

function readTrim(path: string): string | undefined {
  try {
    const s = readFileSync(path, 'utf8').trim();
    return s || undefined;
  } catch {
    return undefined;
  }
}

/** PRETTY_NAME from os-release(5). */
export function osName(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = /^PRETTY_NAME=(.*)$/m.exec(text);
  return m ? m[1]!.replace(/^["']|["']$/g, '') : undefined;
}

export function hostFacts(opts: { hostname?: string | undefined; machineId?: string | undefined }): HostFacts {
  const full = opts.hostname ?? hostname();
  const f: HostFacts = { name: full.split('.')[0]!, hostname: full, kernel: release() };
  const mid = opts.machineId ?? readTrim('/etc/machine-id') ?? readTrim('/var/lib/dbus/machine-id');
  if (mid) f.machineId = mid;
  const os = osName(readTrim('/etc/os-release') ?? readTrim('/usr/lib/os-release'));
  if (os) f.os = os;
  return f;
}
