// Parses `lldpcli show neighbors -f json0` (the stable JSON layout: every value is an array).
import { run } from './procs.ts';

export interface LldpNeighbour {
  localIf: string;
  sysName: string;
  chassisId: string;
  portIdType: string;
  portId: string;
  portDescr: string;
}

type J = Record<string, unknown>;
const arr = (x: unknown): J[] => (Array.isArray(x) ? (x as J[]) : []);
const first = (x: unknown): J => arr(x)[0] ?? {};
const val = (x: unknown): string => String(first(x).value ?? '');

export function parseLldpJson0(text: string): LldpNeighbour[] {
  const doc = JSON.parse(text) as J;
  const out: LldpNeighbour[] = [];
  for (const lldp of arr(doc.lldp)) {
    for (const i of arr(lldp.interface)) {
      const ch = first(i.chassis),
        port = first(i.port);
      const pid = first(port.id);
      out.push({
        localIf: String(i.name ?? ''),
        sysName: val(ch.name),
        chassisId: val(ch.id),
        portIdType: String(pid.type ?? ''),
        portId: String(pid.value ?? ''),
        portDescr: val(port.descr),
      });
    }
  }
  return out;
}

export async function lldpNeighbours(socket: string): Promise<LldpNeighbour[]> {
  const r = await run(null, 'lldpcli', ['-u', socket, 'show', 'neighbors', '-f', 'json0']);
  return parseLldpJson0(r.stdout);
}
