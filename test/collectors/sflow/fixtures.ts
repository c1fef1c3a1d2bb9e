// Loads sFlow datagrams from fixtures/pcaps: UDP payloads of a pcap, or a raw .bin datagram.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { udpPayloads } from '../../../src/collectors/common/pcap.ts';

export const PCAPS = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pcaps');

/** Datagrams of a fixture; `skip` drops a leading Eth/IP/UDP header of whole-frame .bin files. */
export function datagrams(name: string, skip = 0): Buffer[] {
  const buf = readFileSync(join(PCAPS, name));
  if (name.endsWith('.pcap')) return [...udpPayloads(buf)].map((u) => u.payload);
  return [buf.subarray(skip)];
}

export function datagram(name: string, skip = 0): Buffer {
  const d = datagrams(name, skip)[0];
  if (!d) throw new Error(`${name}: no datagram`);
  return d;
}

/** Every sFlow fixture (all files from ../shared/fixtures/sflow plus the Open vSwitch capture). */
export const SFLOW_FIXTURES: { name: string; skip?: number }[] = [
  'akvorado__data-1140.pcap',
  'akvorado__data-discard-interface.pcap',
  'akvorado__data-encap-vxlan.pcap',
  'akvorado__data-icmpv4.pcap',
  'akvorado__data-icmpv6.pcap',
  'akvorado__data-local-interface.pcap',
  'akvorado__data-multiple-interfaces.pcap',
  'akvorado__data-qinq.pcap',
  'akvorado__data-sflow-expanded-sample.pcap',
  'akvorado__data-sflow-ipv4-data.pcap',
  'akvorado__data-sflow-raw-ipv4.pcap',
  'goflow2__sflow_test-DropEgressQueue.bin',
  'goflow2__sflow_test-DropExtendedACL.bin',
  'goflow2__sflow_test-DropExtendedFunction.bin',
  'goflow2__sflow_test-TestExpandedSFlowDecode.bin',
  'goflow2__sflow_test-TestSFlowDecode.bin',
  'gopacket__sflow_test-SFlowEthernetFramePacket-live.bin',
  'gopacket__sflow_test-SFlowTestPacket10-vlan-counter.bin',
  'gopacket__sflow_test-SFlowTestPacket11-lacp-counter.bin',
  'gopacket__sflow_test-SFlowTestPacket13-appresources-ovsdb.bin',
  'gopacket__sflow_test-SFlowTestPacket3-processor-counter.bin',
  'gopacket__sflow_test-SFlowTestPacket8-extrouter-ipv6nh.bin',
  'gopacket__sflow_test-SFlowTestPacket9-portname-counter.bin',
  'tcpdump__sflow_expanded.pcap',
  'ovs-sflow.pcap',
].map((name) => ({ name }));
// A whole Ethernet/IPv4/UDP frame (14 + 20 + 8 bytes before the datagram).
SFLOW_FIXTURES.push({ name: 'gopacket__sflow_test-SFlowTestPacket2-refagent-frame.bin', skip: 42 });

export function allDatagrams(): Buffer[] {
  return SFLOW_FIXTURES.flatMap((f) => datagrams(f.name, f.skip));
}
