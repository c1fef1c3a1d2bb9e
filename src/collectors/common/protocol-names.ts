// Names beside numbers in flow rows and filters: IANA IP protocol keywords and common EtherTypes.
// Only the protocols a NOC meets in flow data; other numbers keep their decimal text.

const IP_PROTOCOLS: Record<number, string> = {
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  8: 'EGP',
  17: 'UDP',
  41: 'IPv6',
  43: 'IPv6-Route',
  44: 'IPv6-Frag',
  46: 'RSVP',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  59: 'IPv6-NoNxt',
  60: 'IPv6-Opts',
  88: 'EIGRP',
  89: 'OSPF',
  94: 'IPIP-Old',
  97: 'EtherIP',
  103: 'PIM',
  112: 'VRRP',
  115: 'L2TP',
  132: 'SCTP',
  136: 'UDPLite',
  137: 'MPLS-in-IP',
};

const BY_NAME = new Map<string, number>(Object.entries(IP_PROTOCOLS).map(([n, name]) => [name.toLowerCase(), Number(n)]));
// Spellings people type.
BY_NAME.set('icmp6', 58).set('ipv6-icmp', 58).set('ipinip', 4).set('ip-in-ip', 4).set('udp-lite', 136);

const ETHER_TYPES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x0842: 'WoL',
  0x22f0: 'AVTP',
  0x22f3: 'TRILL',
  0x6003: 'DECnet',
  0x8035: 'RARP',
  0x809b: 'AppleTalk',
  0x8100: '802.1Q',
  0x8137: 'IPX',
  0x86dd: 'IPv6',
  0x8808: 'Ethernet flow control',
  0x8809: 'Slow protocols (LACP)',
  0x8847: 'MPLS',
  0x8848: 'MPLS multicast',
  0x8863: 'PPPoE discovery',
  0x8864: 'PPPoE session',
  0x888e: 'EAPOL',
  0x8892: 'PROFINET',
  0x88a8: '802.1ad',
  0x88cc: 'LLDP',
  0x88e5: 'MACsec',
  0x88f7: 'PTP',
  0x8902: 'CFM',
  0x8906: 'FCoE',
  0x8914: 'FIP',
  0x9000: 'Loopback',
  0x9100: 'QinQ',
};

/** The IANA keyword of an IP protocol number, its decimal text when unlisted, '' for 0 (no IP protocol seen). */
export function ipProtocolName(n: number): string {
  if (n === 0) return '';
  return IP_PROTOCOLS[n] ?? String(n);
}

/** An IP protocol number from its number text or name (case-insensitive); undefined when neither. */
export function ipProtocolNumber(v: string): number | undefined {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n <= 255 ? n : undefined;
  }
  return BY_NAME.get(v.toLowerCase());
}

/** Names `proto` accepts, for error messages and the API description. */
export function ipProtocolNames(): string[] {
  return Object.values(IP_PROTOCOLS).map((n) => n.toLowerCase());
}

/**
 * Name of an EtherType: values up to 1500 are IEEE 802.3 length fields (an LLC frame such as
 * STP follows), unlisted types are shown as 0x-hex, 0 means none was seen.
 */
export function etherTypeName(n: number): string {
  if (n === 0) return '';
  if (n <= 1500) return '802.3 LLC';
  return ETHER_TYPES[n] ?? `0x${n.toString(16).padStart(4, '0')}`;
}
