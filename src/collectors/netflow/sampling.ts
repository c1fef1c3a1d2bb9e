// Sampling-rate resolution for NetFlow/IPFIX records. Precedence (issue 5): configured per-exporter
// override → the record's own fields (IE 34/35, 48–50, 305/306) → options data (sampler ID → rate per
// exporter + domain) → the v5 header → configured per-exporter default. With none of these the record
// keeps rate 1 but is flagged `samplingRateMissing` and counted, so nobody mistakes it for unsampled.
import type { FlowRecord } from '../common/flow-record.ts';
import type { InterfaceNames } from './interface-names.ts';

export interface SamplingRule {
  exporter: string;
  rate: number;
}

export interface SamplingConfig {
  samplingOverrides?: SamplingRule[];
  samplingDefaults?: SamplingRule[];
}

export type SamplingSource = 'override' | 'record' | 'options' | 'header' | 'default' | 'missing';

/** Sampler ID used for options data that names no sampler: applies to the whole exporter + domain. */
export const DOMAIN_SAMPLER = -1;

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && v > 0 && Number.isFinite(v) ? v : undefined;
}

/** The rate a record (or an options record) states in its own fields, if any. */
export function rateFromFields(r: Record<string, unknown>): number | undefined {
  // Random n-out-of-N (RFC 5476 samplingSize 309 / samplingPopulation 310), as Cisco IOS-XR sends.
  const population = positive(r.samplingPopulation);
  const size = positive(r.samplingSize);
  if (population !== undefined && size !== undefined) return population / size;
  const interval = positive(r.samplingPacketInterval);
  if (interval !== undefined) {
    const space = typeof r.samplingPacketSpace === 'number' ? r.samplingPacketSpace : 0;
    return (interval + space) / interval;
  }
  return positive(r.samplingInterval) ?? positive(r.samplerRandomInterval);
}

/** Sampler identity of a record: FLOW_SAMPLER_ID (48) or selectorId (302). */
export function samplerIdOf(r: Record<string, unknown>): number | undefined {
  const id = r.samplerId ?? r.selectorId;
  return typeof id === 'number' ? id : undefined;
}

export class SamplingResolver {
  /** Records that had no known rate (the `sampling_rate_missing` count). */
  missing = 0;
  private overrides = new Map<string, number>();
  private defaults = new Map<string, number>();
  /** Exporter → domain → sampler ID → rate: the per-set lookup builds no key text. */
  private options = new Map<string, Map<number, Map<number, number>>>();
  /** Exporter × domain pairs in `options` (bounded against address spoofing). */
  private optionDomains = 0;
  /** Told of each options-learned rate that is new or changed (receive workers and the flow bus share them). */
  onLearn: ((exporter: string, domain: number, samplerId: number, rate: number) => void) | undefined;

  constructor(cfg: SamplingConfig = {}) {
    this.configure(cfg);
  }

  configure(cfg: SamplingConfig): void {
    this.overrides = new Map((cfg.samplingOverrides ?? []).map((r) => [r.exporter, r.rate]));
    this.defaults = new Map((cfg.samplingDefaults ?? []).map((r) => [r.exporter, r.rate]));
  }

  override(exporter: string): number | undefined {
    return this.overrides.get(exporter);
  }

  fallback(exporter: string): number | undefined {
    return this.defaults.get(exporter);
  }

  /** From options data: `samplerId` DOMAIN_SAMPLER when the options record names no sampler. */
  learnOptionsRate(exporter: string, domain: number, samplerId: number, rate: number, notify = true): void {
    let m = this.options.get(exporter)?.get(domain);
    if (!m) {
      if (this.optionDomains >= 65_536) {
        // bound memory against address spoofing
        this.options.clear();
        this.optionDomains = 0;
      }
      let d = this.options.get(exporter);
      if (!d) this.options.set(exporter, (d = new Map()));
      d.set(domain, (m = new Map()));
      this.optionDomains++;
    }
    if (m.size >= 4096 && !m.has(samplerId)) return;
    const was = m.get(samplerId);
    m.set(samplerId, rate);
    if (notify && was !== rate) this.onLearn?.(exporter, domain, samplerId, rate);
  }

  optionsRate(exporter: string, domain: number, samplerId: number | undefined): number | undefined {
    const m = this.options.get(exporter)?.get(domain);
    if (!m) return undefined;
    if (samplerId !== undefined) {
      const r = m.get(samplerId);
      if (r !== undefined) return r;
    }
    const d = m.get(DOMAIN_SAMPLER);
    if (d !== undefined) return d;
    // One sampler announced and the record names none: that sampler is the only candidate.
    if (samplerId === undefined && m.size === 1) return m.values().next().value;
    return undefined;
  }

  /** All learned options rates, for persistence. */
  optionsEntries(): { exporter: string; domain: number; samplerId: number; rate: number }[] {
    const out: { exporter: string; domain: number; samplerId: number; rate: number }[] = [];
    for (const [exporter, domains] of this.options)
      for (const [domain, m] of domains) for (const [samplerId, rate] of m) out.push({ exporter, domain, samplerId, rate });
    return out;
  }

  /**
   * One rate for a whole data set when it cannot vary per record: the override, or (for templates
   * without per-record sampling fields) options data / default. Returns undefined when records must
   * be resolved one by one, 0 when no rate is known at all (every record is `samplingRateMissing`).
   */
  setRate(exporter: string, domain: number, hasRecordRate: boolean, hasSamplerId: boolean): number | undefined {
    const o = this.overrides.get(exporter);
    if (o !== undefined) return o;
    if (hasRecordRate) return undefined;
    // Sampler IDs only matter when options data announced samplers for this domain.
    if (hasSamplerId && this.options.get(exporter)?.has(domain)) return undefined;
    return (this.options.size > 0 ? this.optionsRate(exporter, domain, undefined) : undefined) ?? this.defaults.get(exporter) ?? 0;
  }

  /**
   * What resolve() gives a record naming sampler `samplerId` whose template has no rate fields of
   * its own, when no override applies (setRate() returned undefined): options data, else the default.
   */
  samplerRate(exporter: string, domain: number, samplerId: number): number | undefined {
    return (this.options.size > 0 ? this.optionsRate(exporter, domain, samplerId) : undefined) ?? this.defaults.get(exporter);
  }

  /**
   * Sets `samplingRate` (and `samplingRateMissing` when unknown) on a decoded record.
   * `headerRate`: the v5 header's rate (1 when its interval is 0), undefined for v9/IPFIX.
   */
  resolve(rec: FlowRecord, exporter: string, domain: number, headerRate?: number): SamplingSource {
    let rate = this.overrides.get(exporter);
    let src: SamplingSource = 'override';
    if (rate === undefined) {
      rate = rateFromFields(rec);
      src = 'record';
    }
    if (rate === undefined && this.options.size > 0) {
      rate = this.optionsRate(exporter, domain, samplerIdOf(rec));
      src = 'options';
    }
    if (rate === undefined) {
      rate = headerRate;
      src = 'header';
    }
    if (rate === undefined) {
      rate = this.defaults.get(exporter);
      src = 'default';
    }
    if (rate === undefined) {
      rec.samplingRate = 1;
      rec.samplingRateMissing = true;
      this.missing++;
      return 'missing';
    }
    rec.samplingRate = rate;
    return src;
  }
}

/** What an options data record teaches: a sampling rate (per sampler or domain), interface names. */
export function learnFromOptions(
  r: Record<string, unknown>,
  exporter: string,
  domain: number,
  sampling: SamplingResolver,
  names: InterfaceNames,
): void {
  const rate = rateFromFields(r);
  if (rate !== undefined) sampling.learnOptionsRate(exporter, domain, samplerIdOf(r) ?? DOMAIN_SAMPLER, rate);
  if (typeof r.ifName === 'string' || typeof r.ifDescription === 'string') {
    const idx = r.scopeInterface ?? r.inIf ?? r.outIf;
    if (typeof idx === 'number') names.set(exporter, idx, r.ifName as string | undefined, r.ifDescription as string | undefined);
  }
}
