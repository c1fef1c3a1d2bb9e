// Interface names across vendors (docs/architecture.md#port-resolution): one port is "Gi1/0/1" in ifName and LLDP,
// "GigabitEthernet1/0/1" in ifDescr and CDP, "Te 1/1" or "TenGigabitEthernet 1/1" on Dell OS9,
// "Et1" or "Ethernet1" on Arista, "xe-0/0/1" or its unit "xe-0/0/1.0" on Junos, "XGE1/0/1" or
// "XGigabitEthernet1/0/1" on Huawei. canonicalPortName maps each spelling to one key; a name with
// no digits, or a prefix no table knows, keeps its own lower-cased spelling.

/** Interface-type prefixes (lower case, without blanks, dashes or underscores) → one canonical type. */
const TYPES: Record<string, string> = {};
function spell(canonical: string, ...names: string[]): void {
  for (const n of [canonical, ...names]) TYPES[n] = canonical;
}
spell('ethernet', 'eth', 'et', 'ether');
spell('fastethernet', 'fa', 'fas', 'fe');
spell('gigabitethernet', 'gi', 'gig', 'gige', 'ge', 'gigethernet');
// Catalyst mGig: Tw = TwoGigabitEthernet, Twe = TwentyFiveGigE, Fi = FiveGigabitEthernet.
spell('twogigabitethernet', 'tw', 'twogige');
spell('fivegigabitethernet', 'fi', 'fivegige');
spell('tengigabitethernet', 'te', 'ten', 'tengig', 'tengige', 'xge', 'xgigabitethernet', 'tengigethernet');
spell('twentyfivegigabitethernet', 'twe', 'twentyfivegige', '25ge');
spell('fortygigabitethernet', 'fo', 'fortygige', 'fortygig', '40ge');
spell('fiftygigabitethernet', 'fiftygige', '50ge');
spell('hundredgigabitethernet', 'hu', 'hundredgige', 'hundredgig', '100ge');
spell('twohundredgigabitethernet', 'twohundredgige', '200ge');
spell('fourhundredgigabitethernet', 'fh', 'fourhundredgige', '400ge');
spell('portchannel', 'po', 'port-channel', 'bundle-ether', 'bundleether', 'be', 'ethtrunk', 'eth-trunk', 'trk', 'lag');
spell('vlan', 'vl', 'vlanif');
spell('loopback', 'lo');
spell('management', 'ma', 'mgmt', 'mgmteth', 'mgmtethernet');
spell('tunnel', 'tu');
spell('appgigabitethernet', 'ap');

/** Junos physical names: type-fpc/pic/port, optional :channel, optional .unit (the logical unit on that port). */
const JUNOS = /^([a-z]{2,4})-(\d+\/\d+\/\d+(?::\d+)?)(?:\.\d+)?$/;
/** Junos aggregates and their units: ae0, ae0.0 → the aggregate. */
const JUNOS_AGG = /^(ae|reth)(\d+)(?:\.\d+)?$/;
/** A type word (letters, blanks, dashes, underscores; may start with a speed like 40GE) then the numbering. */
const GENERIC = /^((?:\d+(?=ge))?[a-z][a-z_\- ]*?)[\s_-]*(\d[\d/:.\s]*)$/;

/**
 * One key for every vendor spelling of an interface name: "Gi1/0/1" and "GigabitEthernet1/0/1"
 * → "gigabitethernet1/0/1"; "xe-0/0/1.0" → "xe-0/0/1"; "fortyGigE 1/50" → "fortygigabitethernet1/50".
 * Null for an empty name.
 */
export function canonicalPortName(name: string): string | null {
  const s = name.trim().toLowerCase();
  if (!s) return null;
  const j = JUNOS.exec(s);
  if (j) return `${j[1]}-${j[2]}`;
  const a = JUNOS_AGG.exec(s);
  if (a) return `${a[1]}${a[2]}`;
  const m = GENERIC.exec(s);
  if (!m) return s.replace(/\s+/g, '');
  const word = m[1]!.replace(/[\s_-]+/g, '');
  const type = TYPES[word] ?? TYPES[m[1]!.trim()] ?? word;
  return `${type}${m[2]!.replace(/\s+/g, '')}`;
}

/** Candidate for a name match: the strings one port is known by. */
export interface NamedPort<T> {
  port: T;
  names: readonly (string | null | undefined)[];
}

/**
 * The one candidate `ref` names: an exact match on any of its names first, then the same canonical
 * name; null when nothing or more than one candidate matches (never a guess).
 */
export function matchPortName<T>(candidates: readonly NamedPort<T>[], ref: string | null | undefined): T | null {
  if (!ref) return null;
  const pick = (pred: (n: string) => boolean): T | null | 'many' => {
    let hit: T | null = null;
    for (const c of candidates) {
      if (!c.names.some((n) => typeof n === 'string' && n !== '' && pred(n))) continue;
      if (hit !== null && hit !== c.port) return 'many';
      hit = c.port;
    }
    return hit;
  };
  const exact = pick((n) => n === ref);
  if (exact === 'many') return null;
  if (exact !== null) return exact;
  const key = canonicalPortName(ref);
  if (!key) return null;
  const canon = pick((n) => canonicalPortName(n) === key);
  return canon === 'many' ? null : canon;
}
