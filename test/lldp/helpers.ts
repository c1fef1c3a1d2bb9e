// Test helpers: fixture frames and a reader for tcpdump's `-v` reference decodes (the `.out` files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPcap } from '../../src/collectors/common/pcap.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/pcaps');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** Frames of a pcap fixture, or the single frame of a `.bin` fixture. */
export function frames(name: string): Buffer[] {
  const buf = fixture(name);
  if (name.endsWith('.pcap')) return [...readPcap(buf)].map((f) => Buffer.from(f.data));
  return [buf];
}

/** tcpdump -v output split per packet; each packet is its list of lines (header line first). */
export function tcpdumpPackets(name: string): string[][] {
  const lines = readFileSync(join(FIXTURES, name), 'utf8').split('\n');
  const out: string[][] = [];
  for (const l of lines) {
    if (/^\s+\d+\s+\d{4}-\d\d-\d\d /.test(l)) out.push([l]);
    else if (l.trim() && out.length) out[out.length - 1]!.push(l);
  }
  return out;
}

/** First capture group of the first line matching `re` (after `from`), or undefined. */
export function grab(lines: string[], re: RegExp, from = 0): string | undefined {
  for (let i = from; i < lines.length; i++) {
    const m = re.exec(lines[i]!);
    if (m) return m[1];
  }
  return undefined;
}

export function grabAll(lines: string[], re: RegExp): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  for (const l of lines) {
    const m = re.exec(l);
    if (m) out.push(m);
  }
  return out;
}

/** Index of the first line matching `re`. */
export function lineIndex(lines: string[], re: RegExp): number {
  return lines.findIndex((l) => re.test(l));
}
