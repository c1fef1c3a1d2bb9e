// Flow-table entries as one Float64Array and a string table, for the writer thread
// (flow-writer-thread.ts): a transferred buffer and a few hundred distinct strings cost far less
// to hand over than structured-cloning tens of thousands of objects of twenty fields.
import type { FlowEntry } from './flow-store.ts';

/** Numbers per entry; strings are indexes into the table (-1: null). */
const W = 23;

export interface EncodedEntries {
  count: number;
  nums: Float64Array;
  strs: string[];
}

export function encodeEntries(entries: readonly FlowEntry[]): EncodedEntries {
  const nums = new Float64Array(entries.length * W);
  const strs: string[] = [];
  const index = new Map<string, number>();
  const s = (v: string | null): number => {
    if (v === null) return -1;
    let n = index.get(v);
    if (n === undefined) {
      n = strs.length;
      strs.push(v);
      index.set(v, n);
    }
    return n;
  };
  let k = 0;
  for (const e of entries) {
    nums[k++] = e.first;
    nums[k++] = e.last;
    nums[k++] = s(e.protocol);
    nums[k++] = s(e.exporter);
    nums[k++] = s(e.deviceId);
    nums[k++] = e.inIf;
    nums[k++] = e.outIf;
    nums[k++] = s(e.inPortId);
    nums[k++] = s(e.outPortId);
    nums[k++] = e.vlan;
    nums[k++] = s(e.srcAddr);
    nums[k++] = s(e.dstAddr);
    nums[k++] = e.proto;
    nums[k++] = e.srcPort;
    nums[k++] = e.dstPort;
    nums[k++] = s(e.srcMac);
    nums[k++] = s(e.dstMac);
    nums[k++] = e.etherType;
    nums[k++] = e.bytes;
    nums[k++] = e.packets;
    nums[k++] = e.flows;
    nums[k++] = e.samplingRate;
    nums[k++] = e.samplingMissing ? 1 : 0;
  }
  return { count: entries.length, nums, strs };
}

/** Entries `from` up to `to` (the writer thread decodes a chunk just before writing it). */
export function decodeEntries(b: EncodedEntries, from = 0, to = b.count): FlowEntry[] {
  const { nums, strs } = b;
  const s = (i: number): string => strs[i]!;
  const sn = (i: number): string | null => (i < 0 ? null : strs[i]!);
  const out = new Array<FlowEntry>(Math.max(0, to - from));
  for (let i = from, k = from * W; i < to; i++, k += W) {
    out[i - from] = {
      first: nums[k]!,
      last: nums[k + 1]!,
      protocol: s(nums[k + 2]!),
      exporter: s(nums[k + 3]!),
      deviceId: s(nums[k + 4]!),
      inIf: nums[k + 5]!,
      outIf: nums[k + 6]!,
      inPortId: sn(nums[k + 7]!),
      outPortId: sn(nums[k + 8]!),
      vlan: nums[k + 9]!,
      srcAddr: s(nums[k + 10]!),
      dstAddr: s(nums[k + 11]!),
      proto: nums[k + 12]!,
      srcPort: nums[k + 13]!,
      dstPort: nums[k + 14]!,
      srcMac: s(nums[k + 15]!),
      dstMac: s(nums[k + 16]!),
      etherType: nums[k + 17]!,
      bytes: nums[k + 18]!,
      packets: nums[k + 19]!,
      flows: nums[k + 20]!,
      samplingRate: nums[k + 21]!,
      samplingMissing: nums[k + 22] === 1,
    };
  }
  return out;
}

/** Node-ID fields of an entry: device, in port, out port. */
const NODE_FIELDS = [4, 7, 8] as const;

/** Entries from `from` on renamed where a node ID moved (a device or port merged into another). */
export function repointEncoded(b: EncodedEntries, from: number, moved: ReadonlyMap<string, string>): void {
  const { nums, strs } = b;
  const added = new Map<string, number>();
  for (let i = from, k = from * W; i < b.count; i++, k += W) {
    for (const f of NODE_FIELDS) {
      const ix = nums[k + f]!;
      if (ix < 0) continue;
      const to = moved.get(strs[ix]!);
      if (to === undefined) continue;
      let n = added.get(to);
      if (n === undefined) {
        n = strs.length;
        strs.push(to);
        added.set(to, n);
      }
      nums[k + f] = n;
    }
  }
}
