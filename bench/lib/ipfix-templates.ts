// IPFIX datagrams for ipfix.ingest, built from the real captures in fixtures/pcaps: each capture's
// template (and options) sets become one template message, sent first and periodically; its data
// sets whose template carries IPv4 addresses at a fixed place become data messages whose records
// the sender rewrites. Where the fields sit is worked out with the project's own decoder (the
// template it learned, and its compiled record decoder to find where each record ends).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { udpPayloads } from '../../src/collectors/common/pcap.ts';
import { NetflowDecoder } from '../../src/collectors/netflow/decoder.ts';
import { VARIABLE_LENGTH, type DecodeContext, type Template } from '../../src/collectors/netflow/plan.ts';
import type { FlowRecord } from '../../src/collectors/common/flow-record.ts';
import type { StreamTemplate } from './datagram-stream.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** Captures fed in order to one decoder each (template files before their data). */
export const IPFIX_SOURCES: string[][] = [
  ['logstash-codec-netflow__ipfix.dat'],
  ['logstash-codec-netflow__ipfix_test_openbsd_pflow_tpl.dat', 'logstash-codec-netflow__ipfix_test_openbsd_pflow_data.dat'],
  ['logstash-codec-netflow__ipfix_test_barracuda_tpl.dat', 'logstash-codec-netflow__ipfix_test_barracuda_data256.dat'],
  ['logstash-codec-netflow__ipfix_test_viptela_tpl257.dat', 'logstash-codec-netflow__ipfix_test_viptela_data257.dat'],
  ['logstash-codec-netflow__ipfix_test_nokia_bras_tpl.dat', 'logstash-codec-netflow__ipfix_test_nokia_bras_data256.dat'],
  ['logstash-codec-netflow__ipfix_test_netscaler_tpl.dat', 'logstash-codec-netflow__ipfix_test_netscaler_data.dat'],
  ['vflow__ipfix_decoder_test-DecodeDataTpl-template.bin', 'vflow__ipfix_decoder_test-DecodeDataTpl-data.bin'],
  ['akvorado__ipfixprobe-templates.pcap', 'akvorado__ipfixprobe-data.pcap'],
  ['pmacct__100-IPFIXv10-CISCO_traffic-00.pcap'],
  ['pmacct__112-IPFIXv10-CISCO-options-map-reassignment_traffic-00.pcap'],
  ['softflowd-nf5-nf9-ipfix.pcap'],
];

const IE_SRC4 = 8;
const IE_DST4 = 12;
const IE_SPORT = 7;
const IE_DPORT = 11;

/** IPFIX messages of a capture (.pcap: UDP payloads; .dat/.bin: back-to-back messages). */
function messages(file: string): Buffer[] {
  const raw = readFileSync(join(ROOT, 'fixtures/pcaps', file));
  const payloads = file.endsWith('.pcap') ? [...udpPayloads(raw)].map((u) => u.payload) : [raw];
  const out: Buffer[] = [];
  for (const p of payloads) {
    let off = 0;
    while (p.length - off >= 16 && p.readUInt16BE(off) === 10) {
      const len = p.readUInt16BE(off + 2);
      if (len < 16 || off + len > p.length) break;
      out.push(p.subarray(off, off + len));
      off += len;
    }
  }
  return out;
}

/** Offsets inside a record of the v4 addresses and ports, when no variable-length field precedes them. */
export function keyOffsets(t: Template): { src: number; dst: number; sport: number; dport: number } | undefined {
  let off = 0;
  let src = -1;
  let dst = -1;
  let sport = -1;
  let dport = -1;
  for (const f of t.fields) {
    if (f.length === VARIABLE_LENGTH) break;
    if (f.pen === 0) {
      if (f.id === IE_SRC4 && f.length === 4) src = off;
      else if (f.id === IE_DST4 && f.length === 4) dst = off;
      else if (f.id === IE_SPORT && f.length === 2) sport = off;
      else if (f.id === IE_DPORT && f.length === 2) dport = off;
    }
    off += f.length;
  }
  return src >= 0 && dst >= 0 ? { src, dst, sport, dport } : undefined;
}

function header(sets: Buffer[], domain: number): Buffer {
  const len = 16 + sets.reduce((s, b) => s + b.length, 0);
  const h = Buffer.alloc(16);
  h.writeUInt16BE(10, 0);
  h.writeUInt16BE(len, 2);
  h.writeUInt32BE(domain >>> 0, 12);
  return h;
}

/**
 * Template and data messages of every source. Each (source, observation domain) gets a domain of
 * its own (0x5000 + n) so that sources reusing template ids do not overwrite each other's templates
 * at the collector (everything arrives from one sender address).
 */
export function ipfixTemplates(sources = IPFIX_SOURCES): StreamTemplate[] {
  const out: StreamTemplate[] = [];
  let nextDomain = 0x5000;
  for (const files of sources) {
    const decoder = new NetflowDecoder();
    const domains = new Map<number, number>();
    const templateSets = new Map<number, Buffer[]>();
    /** Options data records per domain: they advance the sequence number like flow records. */
    const optionRecords = new Map<number, number>();
    const data: StreamTemplate[] = [];
    const flows: FlowRecord[] = [];
    for (const msg of files.flatMap(messages)) {
      flows.length = 0;
      decoder.decode(msg, 'bench', flows);
      const domain = msg.readUInt32BE(12);
      let mine = domains.get(domain);
      if (mine === undefined) domains.set(domain, (mine = nextDomain++));
      const ctx: DecodeContext = { protocol: 'ipfix', exporter: 'bench', domain, sequence: 0, exportMs: 0, uptimeBase: -1, next: 0 };
      const dataSets: Buffer[] = [];
      const slots: number[] = [];
      let records = 0;
      let at = 16;
      for (let off = 16; off + 4 <= msg.length;) {
        const id = msg.readUInt16BE(off);
        const len = msg.readUInt16BE(off + 2);
        if (len < 4 || off + len > msg.length) break;
        const set = msg.subarray(off, off + len);
        const entry = id >= 256 ? decoder.templates.get('bench', domain, id) : undefined;
        // Where each record of a data set starts (the compiled decoder says where it ends).
        const recs: number[] = [];
        if (entry && entry.plan.minLength > 0) {
          for (let r = off + 4; r + entry.plan.minLength <= off + len;) {
            if (entry.plan.decode(msg, r, off + len, ctx) === null) break;
            recs.push(r);
            r = ctx.next;
          }
        }
        if (id === 2 || id === 3 || entry?.template.options) {
          // Templates, options templates and options data (sampling, interface names): periodic.
          const list = templateSets.get(mine) ?? [];
          list.push(Buffer.from(set));
          templateSets.set(mine, list);
          optionRecords.set(mine, (optionRecords.get(mine) ?? 0) + recs.length);
        } else if (entry) {
          const k = keyOffsets(entry.template);
          if (k) {
            for (const r of recs) {
              const base = at + (r - off);
              slots.push(base + k.src, base + k.dst, k.sport >= 0 ? base + k.sport : 0, k.dport >= 0 ? base + k.dport : 0);
            }
            records += recs.length;
            dataSets.push(Buffer.from(set));
            at += len;
          }
        }
        off += len;
      }
      if (dataSets.length) data.push({ hex: Buffer.concat([header(dataSets, mine), ...dataSets]).toString('hex'), slots, records });
    }
    for (const [domain, sets] of templateSets) {
      const records = optionRecords.get(domain) ?? 0;
      out.push({ hex: Buffer.concat([header(sets, domain), ...sets]).toString('hex'), slots: [], records, periodic: true });
    }
    out.push(...data);
  }
  return out;
}
