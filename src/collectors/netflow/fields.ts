// Information elements (IANA IPFIX registry; NetFlow v9 uses the same numbers below 128) mapped to
// FlowRecord field names. IEs not listed are kept by number (`ie<id>`, `ie_<pen>_<id>`).

export type FieldKind =
  | 'u' // unsigned, reduced-size encoding allowed (1–8 bytes)
  | 'ip4'
  | 'ip6'
  | 'mac'
  | 'str'
  | 'hex'
  | 'mpls' // 3-byte label stack entry; collected into `mplsLabels`
  | 'icmp' // type<<8 | code → icmpType, icmpCode
  | 'uptime' // ms since exporter boot → absolute ms
  | 'sec' // seconds since epoch → ms
  | 'ms'
  | 'ntp' // NTP 64-bit timestamp → ms
  | 'deltaUs' // µs before export time → absolute ms
  | 'frame'; // dataLinkFrameSection (RFC 7133)

export interface FieldDef {
  name: string;
  kind: FieldKind;
  /** Used for `name` only when the template has no other field targeting `name` (e.g. totals vs deltas). */
  weak?: boolean;
}

const T: Record<number, FieldDef> = {};
function def(ids: number | number[], name: string, kind: FieldKind = 'u', weak = false): void {
  for (const id of Array.isArray(ids) ? ids : [ids]) T[id] = weak ? { name, kind, weak } : { name, kind };
}

def(1, 'bytes');
def(2, 'packets');
def(3, 'flows');
def(4, 'proto');
def(5, 'tos');
def(6, 'tcpFlags');
def(7, 'srcPort');
def(8, 'srcAddr', 'ip4');
def(9, 'srcMask');
def(10, 'inIf');
def(11, 'dstPort');
def(12, 'dstAddr', 'ip4');
def(13, 'dstMask');
def(14, 'outIf');
def(15, 'nextHop', 'ip4');
def(16, 'srcAs');
def(17, 'dstAs');
def(18, 'bgpNextHop', 'ip4');
def(19, 'postMcastPackets');
def(20, 'postMcastBytes');
def(21, 'flowEndMs', 'uptime');
def(22, 'flowStartMs', 'uptime');
def(23, 'postBytes');
def(24, 'postPackets');
def(25, 'minLength');
def(26, 'maxLength');
def(27, 'srcAddr', 'ip6');
def(28, 'dstAddr', 'ip6');
def(29, 'srcMask');
def(30, 'dstMask');
def(31, 'flowLabel');
def(32, 'icmp', 'icmp');
def(33, 'igmpType');
def(34, 'samplingInterval');
def(35, 'samplingAlgorithm');
def(36, 'activeTimeout');
def(37, 'idleTimeout');
def(38, 'engineType');
def(39, 'engineId');
def(40, 'exportedBytes');
def(41, 'exportedMessages');
def(42, 'exportedFlows');
def(44, 'srcPrefix', 'ip4');
def(45, 'dstPrefix', 'ip4');
def(46, 'mplsTopLabelType');
def(47, 'mplsTopLabelAddr', 'ip4');
def(48, 'samplerId');
def(49, 'samplerMode');
def(50, 'samplerRandomInterval');
def(52, 'minTtl');
def(53, 'maxTtl');
def(54, 'fragmentId');
def(55, 'postTos');
def(56, 'srcMac', 'mac');
def(57, 'postDstMac', 'mac');
def(58, 'srcVlan');
def(59, 'dstVlan');
def(60, 'ipVersion');
def(61, 'direction');
def(62, 'nextHop', 'ip6');
def(63, 'bgpNextHop', 'ip6');
def(64, 'ipv6ExtensionHeaders');
def([70, 71, 72, 73, 74, 75, 76, 77, 78, 79], 'mplsLabels', 'mpls');
def(80, 'dstMac', 'mac');
def(81, 'postSrcMac', 'mac');
def(82, 'ifName', 'str');
def(83, 'ifDescription', 'str');
def(84, 'samplerName', 'str');
def(85, 'bytes', 'u', true);
def(86, 'packets', 'u', true);
def(88, 'fragmentOffset');
def(89, 'forwardingStatus');
def(94, 'applicationDescription', 'str');
def(95, 'applicationId', 'hex');
def(96, 'applicationName', 'str');
def(98, 'postDscp');
def(130, 'exporterIpv4', 'ip4');
def(131, 'exporterIpv6', 'ip6');
def(136, 'flowEndReason');
def(137, 'commonPropertiesId');
def(138, 'observationPointId');
def(139, 'icmp', 'icmp');
def(141, 'lineCardId');
def(142, 'portId');
def(143, 'meteringProcessId');
def(144, 'exportingProcessId');
def(145, 'templateId');
def(148, 'flowId');
def(149, 'observationDomainId');
def(150, 'flowStartMs', 'sec');
def(151, 'flowEndMs', 'sec');
def(152, 'flowStartMs', 'ms');
def(153, 'flowEndMs', 'ms');
def(154, 'flowStartMs', 'ntp');
def(155, 'flowEndMs', 'ntp');
def(156, 'flowStartMs', 'ntp');
def(157, 'flowEndMs', 'ntp');
def(158, 'flowStartMs', 'deltaUs');
def(159, 'flowEndMs', 'deltaUs');
def(160, 'systemInitTimeMs', 'ms');
def(176, 'icmpType');
def(177, 'icmpCode');
def(178, 'icmpType');
def(179, 'icmpCode');
def(192, 'ttl');
def(195, 'dscp');
def(225, 'postNatSrcAddr', 'ip4');
def(226, 'postNatDstAddr', 'ip4');
def(227, 'postNatSrcPort');
def(228, 'postNatDstPort');
def(230, 'natEvent');
def(233, 'firewallEvent');
def(234, 'ingressVrfId');
def(235, 'egressVrfId');
def(236, 'vrfName', 'str');
def(243, 'srcVlan');
def(252, 'inIf');
def(253, 'outIf');
def(254, 'dstVlan');
def(281, 'postNatSrcAddr', 'ip6');
def(282, 'postNatDstAddr', 'ip6');
def(302, 'selectorId');
def(304, 'selectorAlgorithm');
def(305, 'samplingPacketInterval');
def(306, 'samplingPacketSpace');
def(309, 'samplingSize');
def(310, 'samplingPopulation');
def(312, 'dataLinkFrameSize');
def(315, 'dataLinkFrame', 'frame');
def(323, 'observationTimeMs', 'ms');
def(351, 'dataLinkFrameType');

/** NetFlow v9 options scope field types (RFC 3954 §6.1): not IEs, their own number space. */
const V9_SCOPES: Record<number, string> = {
  1: 'scopeSystem',
  2: 'scopeInterface',
  3: 'scopeLineCard',
  4: 'scopeCache',
  5: 'scopeTemplate',
};

export function ieDef(id: number, pen: number): FieldDef {
  if (pen === 0) {
    const d = T[id];
    if (d) return d;
    return { name: `ie${id}`, kind: 'u' };
  }
  return { name: `ie_${pen}_${id}`, kind: 'u' };
}

export function v9ScopeDef(type: number): FieldDef {
  return { name: V9_SCOPES[type] ?? `scope${type}`, kind: 'u' };
}
