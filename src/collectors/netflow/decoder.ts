// NetFlow v5 / v9 / IPFIX message decoder with per-exporter state (templates, pending data sets,
// options-learned sampling rates and interface names). Never throws on input: problems come back as
// typed errors in the result and decoding continues with the next set where that is safe.
import { u16, u32 } from '../common/packet-bytes.ts';
import { SequenceCheck } from './sequence-check.ts';
import type { FlowRecord } from '../common/flow-record.ts';
import { reverseRecord } from './biflow.ts';
import { nfError } from './errors.ts';
import { InterfaceNames } from './interface-names.ts';
import { PendingSets } from './pending.ts';
import type { DecodeContext, Plan, Template } from './plan.ts';
import { SamplingResolver, learnFromOptions } from './sampling.ts';
import { TemplateCache, type CachedTemplate } from './template-cache.ts';
import { parseIpfixTemplates, parseV9OptionsTemplates, parseV9Templates, type TemplateItem } from './template-parse.ts';
import { decodeV5Message } from './v5.ts';
import { keyedSet, type KeyContext, type NetflowSink } from './key-plan.ts';
import { SystemInitTimes } from './system-init.ts';
import {
  icmpFromPort,
  isZero,
  looksLikeIpfixHeader,
  newStats,
  type DecodeResult,
  type NetflowStats,
  type OptionsRecord,
} from './decode-result.ts';

export { icmpFromPort, type DecodeResult, type NetflowStats, type OptionsRecord };

export interface NetflowDecoderOptions {
  templates?: TemplateCache;
  sampling?: SamplingResolver;
  interfaceNames?: InterfaceNames;
  pending?: PendingSets;
  /**
   * The fast path (key-plan.ts): records of templates with a key plan, whose sampling rate is one
   * for the whole set, go straight into this sink instead of `out`. Without one every record is
   * decoded in full.
   */
  sink?: NetflowSink;
}

export class NetflowDecoder {
  readonly templates: TemplateCache;
  readonly sampling: SamplingResolver;
  readonly interfaceNames: InterfaceNames;
  readonly pending: PendingSets;
  sink: NetflowSink | undefined;
  /** Flow records that went to the sink (counted in stats.flows too). */
  fastRecords = 0;
  readonly stats: NetflowStats = newStats();
  /** Absolute ms of exporter boot per exporter and domain, from IPFIX options (IE 160). */
  private readonly systemInit = new SystemInitTimes();
  private readonly sequences = new SequenceCheck();
  /**
   * Key of template, pending-data and sequence state: the exporter address, plus the version for
   * v5/v9. One host often runs several exporters (softflowd per version) whose v9 and IPFIX
   * template IDs and sequence spaces would otherwise collide; IPFIX keeps the bare address.
   */
  private scope = '';
  private readonly ctx: DecodeContext & KeyContext = {
    protocol: 'netflow9',
    exporter: '',
    domain: 0,
    sequence: 0,
    exportMs: 0,
    uptimeBase: -1,
    next: 0,
    bySampler: false,
    // A fast-path record's rate from its sampler ID; counted missing per record, as resolve() counts.
    rateFor: (sid) => {
      const r = this.sampling.samplerRate(this.ctx.exporter, this.ctx.domain, sid);
      if (r === undefined) this.sampling.missing++;
      return r;
    },
  };
  private readonly items: TemplateItem[] = [];
  private optionsOut: OptionsRecord[] | undefined;
  private dataRecords = 0;
  private templateRecords = 0;
  /** Data sets of this message held for a missing template (their record count is unknown). */
  private pendingInMessage = 0;
  /** Templates learned in the message being walked whose held data waits for the message end. */
  private readonly replays: { exporter: string; domain: number; id: number; entry: CachedTemplate }[] = [];
  private setsInMessage = 0;
  /** Told of each data set held for an unknown template (the flow bus looks the template up in its KV). */
  onMissingTemplate: ((scope: string, domain: number, templateId: number) => void) | undefined;

  constructor(opts: NetflowDecoderOptions = {}) {
    this.templates = opts.templates ?? new TemplateCache();
    this.sampling = opts.sampling ?? new SamplingResolver();
    this.interfaceNames = opts.interfaceNames ?? new InterfaceNames();
    this.pending = opts.pending ?? new PendingSets();
    this.sink = opts.sink;
  }

  private checkSequence(res: DecodeResult, scope: string, domain: number, seq: number, advance: number): void {
    const before = this.sequences.gaps;
    res.lost += this.sequences.check(scope, domain, seq, advance);
    this.stats.sequenceGaps += this.sequences.gaps - before;
  }

  /** Sampling-rate-missing count (`sampling_rate_missing`). */
  get samplingRateMissing(): number {
    return this.sampling.missing;
  }

  /**
   * Decodes one message starting at `start`; flow records are appended to `out`, options data
   * records (when wanted) to `optionsOut`.
   */
  decode(buf: Buffer, exporter: string, out: FlowRecord[], optionsOut?: OptionsRecord[], start = 0): DecodeResult {
    this.optionsOut = optionsOut;
    const res: DecodeResult = { version: 0, length: 0, errors: [], lost: 0 };
    if (buf.length - start < 4) {
      res.errors.push(nfError('short-header', 0, `message of ${buf.length - start} bytes`));
    } else {
      res.version = u16(buf, start);
      if (res.version === 5) this.decodeV5(buf, start, exporter, out, res);
      else if (res.version === 9) this.decodeV9(buf, start, exporter, out, res);
      else if (res.version === 10) this.decodeIpfix(buf, start, exporter, out, res);
      else res.errors.push(nfError('bad-version', 0, `version ${res.version} is not 5, 9 or 10`));
    }
    this.stats.messages++;
    this.stats.errors += res.errors.length;
    this.optionsOut = undefined;
    return res;
  }

  /** Decodes every message in a buffer holding several concatenated messages (nc captures, files). */
  decodeAll(buf: Buffer, exporter: string, out: FlowRecord[], optionsOut?: OptionsRecord[]): DecodeResult[] {
    const results: DecodeResult[] = [];
    let off = 0;
    // Fewer bytes than the smallest header after a message are trailing padding (vflow v5 fixture).
    while (buf.length - off >= 16 && results.length < 10_000) {
      const r = this.decode(buf, exporter, out, optionsOut, off);
      results.push(r);
      if (r.length <= 0) break;
      off += r.length;
    }
    return results;
  }

  private decodeV5(buf: Buffer, start: number, exporter: string, out: FlowRecord[], res: DecodeResult): void {
    const h = decodeV5Message(buf, start, exporter, out, res, this.sampling.override(exporter));
    if (!h) return;
    this.stats.flows += h.count;
    this.checkSequence(res, `${exporter}#v5`, (h.engineType << 8) | h.engineId, h.sequence, h.count);
  }

  private decodeV9(buf: Buffer, start: number, exporter: string, out: FlowRecord[], res: DecodeResult): void {
    if (buf.length - start < 20) {
      res.errors.push(nfError('short-header', 0, `v9 header needs 20 bytes, have ${buf.length - start}`));
      return;
    }
    const sysUptime = u32(buf, start + 4);
    const unixSecs = u32(buf, start + 8);
    const c = this.ctx;
    c.protocol = 'netflow9';
    c.exporter = exporter;
    this.scope = `${exporter}#v9`;
    c.sequence = u32(buf, start + 12);
    c.domain = u32(buf, start + 16);
    c.exportMs = unixSecs * 1000;
    c.uptimeBase = c.exportMs - sysUptime;
    res.length = this.walkSets(buf, start, start + 20, buf.length, 9, out, res);
    const count = u16(buf, start + 2);
    const seen = this.dataRecords + this.templateRecords;
    // RFC 3954: count = template + options + data records; some exporters (FortiOS) count flowsets.
    // A count matching neither is reported, not fatal: what could be decoded was.
    if (count !== seen && count !== this.setsInMessage && this.pendingInMessage === 0)
      res.errors.push(nfError('bad-count', 2, `header count ${count}, ${seen} records found`));
    this.checkSequence(res, this.scope, c.domain, c.sequence, 1);
  }

  private decodeIpfix(buf: Buffer, start: number, exporter: string, out: FlowRecord[], res: DecodeResult): void {
    if (buf.length - start < 16) {
      res.errors.push(nfError('short-header', 0, `IPFIX header needs 16 bytes, have ${buf.length - start}`));
      return;
    }
    const len = u16(buf, start + 2);
    if (len < 16 || start + len > buf.length) {
      res.errors.push(nfError('bad-length', 2, `IPFIX length ${len}, ${buf.length - start} bytes available`));
      return;
    }
    const c = this.ctx;
    c.protocol = 'ipfix';
    c.exporter = exporter;
    this.scope = exporter;
    c.exportMs = u32(buf, start + 4) * 1000;
    c.sequence = u32(buf, start + 8);
    c.domain = u32(buf, start + 12);
    c.uptimeBase = this.systemInit.get(exporter, c.domain);
    res.length = this.walkSets(buf, start, start + 16, start + len, 10, out, res);
    // IPFIX sequence counts data records, not messages.
    this.checkSequence(res, this.scope, c.domain, c.sequence, this.dataRecords);
  }

  /** Walks sets/flowsets; returns the end offset reached relative to `msg` (v9 has no length field). */
  private walkSets(buf: Buffer, msg: number, off: number, end: number, version: 9 | 10, out: FlowRecord[], res: DecodeResult): number {
    const reached = this.walkMessage(buf, msg, off, end, version, out, res);
    if (this.replays.length) this.replayHeld(out, res);
    return reached;
  }

  private walkMessage(buf: Buffer, msg: number, off: number, end: number, version: 9 | 10, out: FlowRecord[], res: DecodeResult): number {
    this.dataRecords = 0;
    this.templateRecords = 0;
    this.pendingInMessage = 0;
    this.setsInMessage = 0;
    const c = this.ctx;
    let sets = 0;
    while (off + 4 <= end) {
      const id = u16(buf, off);
      const len = u16(buf, off + 2);
      // v9 carries no message length: a version word where a flowset id should be starts the next message.
      if (version === 9 && (id === 5 || id === 9 || id === 10) && sets > 0) return off - msg;
      if (version === 10 && len >= 4 && off + len > end && off + len <= buf.length && !looksLikeIpfixHeader(buf, end)) {
        // Seen in the wild (vflow fixture): a last set running past a too-small message length.
        res.errors.push(
          nfError('bad-length', 2, `set id ${id} at ${off - msg} runs ${off + len - end} bytes past the message length; decoded anyway`),
        );
        end = off + len;
      }
      if (len < 4 || off + len > end) {
        if (id === 0 && len === 0 && isZero(buf, off, end)) return end - msg; // trailing padding
        res.errors.push(nfError('bad-set', off - msg, `set id ${id} length ${len}, ${end - off} bytes left`));
        return end - msg;
      }
      sets++;
      this.setsInMessage = sets;
      const setEnd = off + len;
      const body = off + 4;
      if (id >= 256) this.dataSet(buf, msg, body, setEnd, id, out, res);
      else if (version === 9 && (id === 0 || id === 1)) {
        this.items.length = 0;
        const err =
          id === 0 ? parseV9Templates(buf, body, setEnd, msg, this.items) : parseV9OptionsTemplates(buf, body, setEnd, msg, this.items);
        this.templateRecords += this.items.length;
        this.applyTemplates(this.scope, c.domain, out, res);
        if (err) res.errors.push(err);
      } else if (version === 10 && (id === 2 || id === 3)) {
        this.items.length = 0;
        const err = parseIpfixTemplates(buf, body, setEnd, msg, id === 3, this.items);
        this.applyTemplates(this.scope, c.domain, out, res);
        if (err) res.errors.push(err);
      }
      // Other ids below 256 are reserved: skipped by length.
      off = setEnd;
    }
    return end - msg;
  }

  private applyTemplates(exporter: string, domain: number, out: FlowRecord[], res: DecodeResult): void {
    for (const it of this.items) {
      if (it.kind === 'withdraw') {
        if (it.templateId < 256) this.stats.templatesWithdrawn += this.templates.withdrawAll(exporter, domain, it.options);
        else if (this.templates.withdraw(exporter, domain, it.templateId)) this.stats.templatesWithdrawn++;
        continue;
      }
      let entry: CachedTemplate;
      try {
        const r = this.templates.learn(exporter, domain, it.template);
        entry = r.entry;
        if (r.changed) this.stats.templatesLearned++;
      } catch (e) {
        // Compilation of a plan is ours, not the input's, but a decoder must not throw.
        res.errors.push(nfError('bad-template', 0, `template ${it.template.id}: ${(e as Error).message}`));
        continue;
      }
      if (entry.plan.minLength === 0) continue;
      // Held data is replayed once the whole message is walked: options data later in the same
      // message (softflowd sends the sampling interval right after its templates) must set the
      // rate before the held flows are resolved.
      this.replays.push({ exporter, domain, id: it.template.id, entry });
    }
  }

  /**
   * A template learned elsewhere — another receive worker (netflow.workers > 1) or another inlet
   * through the flow bus's KV: kept as if this decoder had learned it, without announcing it again,
   * and data sets held for it here are decoded now. `scope` is the template cache's exporter key
   * (the address, `#v9` appended for v9).
   */
  learnShared(scope: string, domain: number, template: Template, out: FlowRecord[]): DecodeResult {
    const res: DecodeResult = { version: template.version, length: 0, errors: [], lost: 0 };
    let entry: CachedTemplate;
    try {
      entry = this.templates.learn(scope, domain, template, false).entry;
    } catch {
      return res; // a template we cannot compile decodes nothing here either
    }
    if (entry.plan.minLength === 0) return res;
    const c = this.ctx;
    c.protocol = template.version === 9 ? 'netflow9' : 'ipfix';
    c.exporter = scope.endsWith('#v9') ? scope.slice(0, -3) : scope;
    c.domain = domain;
    this.scope = scope;
    this.replays.push({ exporter: scope, domain, id: template.id, entry });
    this.replayHeld(out, res);
    return res;
  }

  private replayHeld(out: FlowRecord[], res: DecodeResult): void {
    const c = this.ctx;
    for (const r of this.replays) {
      for (const p of this.pending.take(r.exporter, r.domain, r.id)) {
        const saved = [c.sequence, c.exportMs, c.uptimeBase, this.dataRecords] as const;
        c.sequence = p.sequence;
        c.exportMs = p.exportMs;
        c.uptimeBase = p.uptimeBase;
        this.decodeRecords(p.data, 0, 0, p.data.length, r.entry.template.options, r.entry.plan, r.id, out, res);
        [c.sequence, c.exportMs, c.uptimeBase, this.dataRecords] = saved;
        this.stats.pendingReplayed++;
      }
    }
    this.replays.length = 0;
  }

  private dataSet(buf: Buffer, msg: number, body: number, setEnd: number, id: number, out: FlowRecord[], res: DecodeResult): void {
    const c = this.ctx;
    const t = this.templates.get(this.scope, c.domain, id);
    if (!t) {
      this.pending.hold(this.scope, c.domain, {
        templateId: id,
        data: Buffer.from(buf.subarray(body, setEnd)),
        sequence: c.sequence,
        exportMs: c.exportMs,
        uptimeBase: c.uptimeBase,
        version: c.protocol === 'ipfix' ? 10 : 9,
      });
      this.stats.pendingHeld++;
      this.pendingInMessage++;
      this.onMissingTemplate?.(this.scope, c.domain, id);
      return;
    }
    if (t.plan.minLength === 0) {
      res.errors.push(nfError('empty-template', body - msg, `template ${id} has no bytes per record`));
      return;
    }
    this.decodeRecords(buf, msg, body, setEnd, t.template.options, t.plan, id, out, res);
  }

  private decodeRecords(
    buf: Buffer,
    msg: number,
    off: number,
    end: number,
    options: boolean,
    plan: Plan,
    id: number,
    out: FlowRecord[],
    res: DecodeResult,
  ): void {
    const c = this.ctx;
    const exporter = c.exporter;
    const domain = c.domain;
    const min = plan.minLength;
    const setRate = options ? 1 : this.sampling.setRate(exporter, domain, plan.hasRecordRate, plan.hasSamplerId);
    // Rates per record from sampler IDs (options data) are resolved by the key decoder too.
    const bySampler = setRate === undefined && !plan.hasRecordRate && plan.key?.samplerAware === true;
    if (!options && plan.key !== undefined && (setRate !== undefined || bySampler) && this.sink) {
      c.bySampler = bySampler;
      const k = keyedSet(plan.key, buf, off, end, min, c, this.sink, setRate ?? 1);
      c.bySampler = false;
      this.dataRecords += k.records;
      this.stats.flows += k.added;
      this.fastRecords += k.added;
      // Counted per record read, not per direction (as the full decoder counts).
      if (setRate !== undefined && setRate <= 0) this.sampling.missing += k.records;
      if (k.overrun >= 0 && !isZero(buf, k.overrun, end))
        res.errors.push(nfError('truncated-record', k.overrun - msg, `template ${id}: record overruns its set`));
      return;
    }
    const dec = plan.decode;
    while (off + min <= end) {
      const r = dec(buf, off, end, c);
      if (r === null) {
        if (!isZero(buf, off, end)) res.errors.push(nfError('truncated-record', off - msg, `template ${id}: record overruns its set`));
        return;
      }
      off = c.next;
      this.dataRecords++;
      if (options) {
        this.applyOptions(r, exporter, domain);
        this.stats.optionsRecords++;
        this.optionsOut?.push(r as OptionsRecord);
      } else {
        const f = r as FlowRecord;
        if (setRate === undefined) this.sampling.resolve(f, exporter, domain);
        else if (setRate > 0) f.samplingRate = setRate;
        else {
          f.samplingRate = 1;
          f.samplingRateMissing = true;
          this.sampling.missing++;
        }
        if ((f.proto === 1 || f.proto === 58) && f.icmpType === undefined) icmpFromPort(f);
        out.push(f);
        this.stats.flows++;
        if (plan.hasReverse) {
          const rev = reverseRecord(f);
          if (rev) {
            out.push(rev);
            this.stats.flows++;
          }
        }
      }
    }
  }

  private applyOptions(r: Record<string, unknown>, exporter: string, domain: number): void {
    learnFromOptions(r, exporter, domain, this.sampling, this.interfaceNames);
    if (typeof r.systemInitTimeMs === 'number') {
      this.systemInit.set(exporter, domain, r.systemInitTimeMs);
      if (this.ctx.protocol === 'ipfix') this.ctx.uptimeBase = r.systemInitTimeMs;
    }
  }
}
