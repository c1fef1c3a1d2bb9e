// Numeric OIDs the poller reads (no MIB files needed: Debian ships none for IETF MIBs).
export const O = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  sysName: '1.3.6.1.2.1.1.5.0',

  // IF-MIB ifTable columns (1.3.6.1.2.1.2.2.1.N)
  ifDescr: '1.3.6.1.2.1.2.2.1.2',
  ifType: '1.3.6.1.2.1.2.2.1.3',
  ifMtu: '1.3.6.1.2.1.2.2.1.4',
  ifSpeed: '1.3.6.1.2.1.2.2.1.5',
  ifPhysAddress: '1.3.6.1.2.1.2.2.1.6',
  ifAdminStatus: '1.3.6.1.2.1.2.2.1.7',
  ifOperStatus: '1.3.6.1.2.1.2.2.1.8',
  ifInDiscards: '1.3.6.1.2.1.2.2.1.13',
  ifInErrors: '1.3.6.1.2.1.2.2.1.14',
  ifOutDiscards: '1.3.6.1.2.1.2.2.1.19',
  ifOutErrors: '1.3.6.1.2.1.2.2.1.20',
  // ifXTable (1.3.6.1.2.1.31.1.1.1.N)
  ifName: '1.3.6.1.2.1.31.1.1.1.1',
  ifHCInOctets: '1.3.6.1.2.1.31.1.1.1.6',
  ifHCInUcastPkts: '1.3.6.1.2.1.31.1.1.1.7',
  ifHCOutOctets: '1.3.6.1.2.1.31.1.1.1.10',
  ifHCOutUcastPkts: '1.3.6.1.2.1.31.1.1.1.11',
  ifHighSpeed: '1.3.6.1.2.1.31.1.1.1.15',
  ifAlias: '1.3.6.1.2.1.31.1.1.1.18',

  // LLDP-MIB (IEEE 802.1AB-2005)
  lldpLocChassisIdSubtype: '1.0.8802.1.1.2.1.3.1.0',
  lldpLocChassisId: '1.0.8802.1.1.2.1.3.2.0',
  lldpLocSysName: '1.0.8802.1.1.2.1.3.3.0',
  lldpLocPortIdSubtype: '1.0.8802.1.1.2.1.3.7.1.2',
  lldpLocPortId: '1.0.8802.1.1.2.1.3.7.1.3',
  lldpLocPortDesc: '1.0.8802.1.1.2.1.3.7.1.4',
  lldpRemEntry: '1.0.8802.1.1.2.1.4.1.1',
  lldpRemManAddrEntry: '1.0.8802.1.1.2.1.4.2.1',

  // LLDP-V2-MIB (IEEE 802.1AB-2009): index adds lldpV2RemLocalDestMACAddress
  lldpV2LocChassisIdSubtype: '1.3.111.2.802.1.1.13.1.3.1.0',
  lldpV2LocChassisId: '1.3.111.2.802.1.1.13.1.3.2.0',
  lldpV2LocPortIdSubtype: '1.3.111.2.802.1.1.13.1.3.7.1.2',
  lldpV2LocPortId: '1.3.111.2.802.1.1.13.1.3.7.1.3',
  lldpV2LocPortDesc: '1.3.111.2.802.1.1.13.1.3.7.1.4',
  lldpV2RemEntry: '1.3.111.2.802.1.1.13.1.4.1.1',
  lldpV2RemManAddrEntry: '1.3.111.2.802.1.1.13.1.4.2.1',

  // BRIDGE-MIB / Q-BRIDGE-MIB
  dot1dBasePortIfIndex: '1.3.6.1.2.1.17.1.4.1.2',
  dot1dTpFdbEntry: '1.3.6.1.2.1.17.4.3.1',
  dot1dTpFdbPort: '1.3.6.1.2.1.17.4.3.1.2',
  dot1qTpFdbPort: '1.3.6.1.2.1.17.7.1.2.2.1.2',
  dot1qVlanFdbId: '1.3.6.1.2.1.17.7.1.4.2.1.3',

  // IF-MIB ifStackTable; IEEE8023-LAG-MIB dot3adAggPortTable
  ifStackStatus: '1.3.6.1.2.1.31.1.2.1.3',
  dot3adAggPortAttachedAggID: '1.2.840.10006.300.43.1.2.1.1.13',

  // IP-MIB neighbour tables (ARP / IPv6 ND)
  ipNetToPhysicalPhysAddress: '1.3.6.1.2.1.4.35.1.4',
  ipNetToPhysicalType: '1.3.6.1.2.1.4.35.1.6',
  ipNetToMediaPhysAddress: '1.3.6.1.2.1.4.22.1.2',
  ipNetToMediaType: '1.3.6.1.2.1.4.22.1.4',

  // CISCO-VTP-MIB vtpVlanState (index managementDomainIndex.vlanIndex; 1 = operational)
  vtpVlanState: '1.3.6.1.4.1.9.9.46.1.3.1.1.2',

  // CISCO-CDP-MIB cdpCacheEntry
  cdpCacheEntry: '1.3.6.1.4.1.9.9.23.1.2.1.1',

  // ENTITY-MIB (only the first chassis row is used)
  entPhysicalClass: '1.3.6.1.2.1.47.1.1.1.1.5',
  entPhysicalSerialNum: '1.3.6.1.2.1.47.1.1.1.1.11',
  entPhysicalMfgName: '1.3.6.1.2.1.47.1.1.1.1.12',
  entPhysicalModelName: '1.3.6.1.2.1.47.1.1.1.1.13',

  // Notifications (snmpTrapOID values)
  snmpTrapOID: '1.3.6.1.6.3.1.1.4.1.0',
  coldStart: '1.3.6.1.6.3.1.1.5.1',
  warmStart: '1.3.6.1.6.3.1.1.5.2',
  linkDown: '1.3.6.1.6.3.1.1.5.3',
  linkUp: '1.3.6.1.6.3.1.1.5.4',
  lldpRemTablesChange: '1.0.8802.1.1.2.0.0.1',
  lldpV2RemTablesChange: '1.3.111.2.802.1.1.13.0.0.1',
  ifIndex: '1.3.6.1.2.1.2.2.1.1',
} as const;

/** ifType values that are switch ports (ethernetCsmacd, gigabitEthernet, ieee8023adLag). */
export const PORT_IF_TYPES = new Set([6, 117, 161]);
