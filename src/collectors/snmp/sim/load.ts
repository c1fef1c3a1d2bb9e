// Walk files to devices: one device per file, community = file name without its extension
// (snmpsim's convention). `.snmprec` is snmpsim format; `.snmpwalk`, `.walk`, `.txt` are `snmpwalk -On` output.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { SimDevice } from './device.ts';
import { parseSnmprec } from './snmprec.ts';
import { parseSnmpwalk } from './walk-text.ts';

export const WALK_EXTENSIONS = ['.snmprec', '.snmpwalk', '.walk', '.txt'] as const;

export function isWalkFile(path: string): boolean {
  return (WALK_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** Loads one walk file (Latin-1, so raw bytes survive) as a device. */
export function loadWalkFile(path: string, community = basename(path, extname(path))): SimDevice {
  const text = readFileSync(path, 'latin1');
  const { records, skips } = extname(path).toLowerCase() === '.snmprec' ? parseSnmprec(text) : parseSnmpwalk(text);
  return new SimDevice(community, records, path, skips);
}

/** Every walk file directly in `dir`, sorted by name. */
export function listWalkFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => isWalkFile(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}
